#!/usr/bin/env python3
"""Writes hostile.ipynb: a notebook from someone who wants its export to run script.

Each plot output carries one SVG trick (its text/plain names the trick); the cells, outputs,
errors and markdown carry raw HTML. `ExportSafetyTests` exports it and checks that nothing
script-capable reaches the page, and that exactly the plots named in hostile_inline.txt (the
`INLINE` set below, written beside it) are inlined. Run: python3 make_hostile.py  (standard
library only).
"""
import json
import os

SVG = 'xmlns="http://www.w3.org/2000/svg"'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
B64_SCRIPT_SVG = ("PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxzY3JpcHQ+YWxlcnQoMSk8L3Nj"
                  "cmlwdD48L3N2Zz4=")  # <svg xmlns=...><script>alert(1)</script></svg>

# (name, svg): refused unless the name is in `inline`.
TRICKS = [
    ("svg-slash-onload", '<svg/onload=alert(1)>'),
    ("uppercase-onload", f'<svg {SVG} ONLOAD="alert(1)"><rect width="1" height="1"/></svg>'),
    ("uppercase-script", f'<svg {SVG}><SCRIPT>alert(1)</SCRIPT></svg>'),
    ("script-cdata", f'<svg {SVG}><script><![CDATA[alert(1)]]></script></svg>'),
    ("animate-onbegin", f'<svg {SVG}><animate onbegin="alert(1)" attributeName="x" dur="1s"/></svg>'),
    ("animate-href-js", f'<svg {SVG} {XLINK}><a><animate attributeName="href" values="javascript:alert(1)"/>'
                        '<text y="10">x</text></a></svg>'),
    ("set-handler", f'<svg {SVG}><set attributeName="onmouseover" to="alert(1)"/></svg>'),
    ("iframe-srcdoc", f'<svg {SVG}><foreignObject width="9" height="9"><iframe xmlns="http://www.w3.org/1999/xhtml" '
                      'srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"/></foreignObject></svg>'),
    ("href-javascript-entity", f'<svg {SVG}><a href="javascript&#58;alert(1)"><text y="10">x</text></a></svg>'),
    ("xlink-href-javascript", f'<svg {SVG} {XLINK}><a xlink:href="javascript:alert(1)"><rect width="9" height="9"/></a></svg>'),
    ("meta-refresh", f'<svg {SVG}><foreignObject><meta xmlns="http://www.w3.org/1999/xhtml" '
                     'http-equiv="refresh" content="0;url=https://example.invalid/"/></foreignObject></svg>'),
    ("form", f'<svg {SVG}><foreignObject><form xmlns="http://www.w3.org/1999/xhtml" action="https://example.invalid/">'
             '<input type="submit"/></form></foreignObject></svg>'),
    ("style-import", f'<svg {SVG}><style>@import url(https://example.invalid/x.css);</style><rect width="1" height="1"/></svg>'),
    ("use-data-href", f'<svg {SVG}><use href="data:image/svg+xml;base64,{B64_SCRIPT_SVG}#x"/></svg>'),
    ("use-external-href", f'<svg {SVG} {XLINK}><use xlink:href="https://example.invalid/x.svg#a"/></svg>'),
    ("doctype-entity", f'<!DOCTYPE svg [<!ENTITY s "&#60;script&#62;alert(1)&#60;/script&#62;">]><svg {SVG}>&s;</svg>'),
    ("external-entity", f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg {SVG}><text>&x;</text></svg>'),
    ("utf7", f'<?xml version="1.0" encoding="UTF-7"?><svg {SVG}>+ADw-script+AD4-alert(1)+ADw-/script+AD4-</svg>'),
    ("script-after-svg", f'<svg {SVG}><rect width="1" height="1"/></svg><script>alert(1)</script>'),
    ("script-split-by-comment", f'<svg {SVG}><scr<!-- -->ipt>alert(1)</script></svg>'),
    ("xhtml-namespace", '<svg xmlns="http://www.w3.org/1999/xhtml"><rect width="1" height="1"/></svg>'),
    ("image-onerror", f'<svg {SVG}><image href="x" onerror="alert(1)"/></svg>'),
    ("title-html", f'<svg {SVG}><title><img src="x" onerror="alert(1)"/></title></svg>'),
    ("style-attr-url", f'<svg {SVG}><rect width="9" height="9" style="fill:url(https://example.invalid/x)"/></svg>'),
    ("style-attr-expression", f'<svg {SVG}><rect width="9" height="9" style="fill:expression(alert(1))"/></svg>'),
    ("style-attr-escape", f'<svg {SVG}><rect width="9" height="9" style="fill:u\\72 l(https://example.invalid/x)"/></svg>'),
    ("fill-url-javascript", f'<svg {SVG}><rect width="9" height="9" fill="url(javascript:alert(1))"/></svg>'),
    ("iframe-element", f'<svg {SVG}><iframe src="https://example.invalid/"/></svg>'),
    ("embed-object", f'<svg {SVG}><embed src="x.swf"/><object data="x.swf"/></svg>'),
    ("not-svg", '<div onclick="alert(1)">not svg</div>'),
    # These pass: the tricky part is text, which the sanitiser writes escaped.
    ("cdata-text", f'<svg {SVG} width="90" height="20"><text y="15"><![CDATA[</text><script>alert(1)</script>]]></text></svg>'),
    ("script-split-across-text", f'<svg {SVG} width="90" height="20"><text y="15">&lt;scr</text><text y="15">ipt&gt;alert(1)'
                                 '&lt;/script&gt;</text></svg>'),
    ("title-escaped-html", f'<svg {SVG} width="90" height="20"><title>&lt;img src=x onerror=alert(1)&gt;</title>'
                           '<rect width="9" height="9"/></svg>'),
    ("foreign-clip0", f'<svg {SVG} {XLINK} width="90" height="20"><defs><clipPath id="clip0"><rect width="50" height="20"/></clipPath>'
                      '<linearGradient id="g"><stop offset="0" stop-color="#000"/></linearGradient></defs>'
                      '<g clip-path="url(#clip0)"><rect width="90" height="20" style="fill: url(\'#g\'); stroke: #333"/>'
                      '<use xlink:href="#g"/></g></svg>'),
]
INLINE = {"cdata-text", "script-split-across-text", "title-escaped-html", "foreign-clip0"}

HTML_TEXT = ('</pre></code><script>alert(1)</script><img src=x onerror=alert(1)>'
             '<iframe srcdoc="<script>alert(1)</script>"></iframe><a href="javascript:alert(1)">a</a>'
             '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><form action="https://example.invalid/">'
             '<button>go</button></form><style>@import url(https://example.invalid/x.css);</style>'
             '<object data="x"></object><embed src="x"><base href="https://example.invalid/">'
             '<svg/onload=alert(1)><a href="java&#115;cript:alert(1)">b</a>')


def lines(text):
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def main():
    cells = [
        {"cell_type": "markdown", "id": "md-1", "metadata": {},
         "source": lines("# Results " + HTML_TEXT + "\n\nSee `<script>alert(1)</script>` and " + HTML_TEXT +
                         "\n\n```\n</code></pre><script>alert(1)</script>\n```\n")},
        {"cell_type": "raw", "id": "raw-1", "metadata": {}, "source": lines(HTML_TEXT)},
        {"cell_type": "code", "id": "code-1", "metadata": {}, "execution_count": 1,
         "source": lines("print(\"" + HTML_TEXT + "\")"),
         "outputs": [
             {"output_type": "stream", "name": "stdout", "text": lines(HTML_TEXT + "\n")},
             {"output_type": "execute_result", "execution_count": 1, "metadata": {},
              "data": {"text/plain": lines(HTML_TEXT)}},
             {"output_type": "error", "ename": "<script>alert(1)</script>", "evalue": HTML_TEXT,
              "traceback": ["error: " + HTML_TEXT, "  --> <iframe srcdoc=x>"]},
         ]},
    ]
    for i, (name, svg) in enumerate(TRICKS):
        cells.append({"cell_type": "code", "id": f"plot-{i + 1}", "metadata": {}, "execution_count": i + 2,
                      "source": lines(f"plot(x)  # {name}"),
                      "outputs": [{"output_type": "display_data", "metadata": {},
                                   "data": {"text/plain": lines(f"{name} <script>alert(1)</script>"),
                                            "image/svg+xml": lines(svg)}}]})
    notebook = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"title": "<script>alert(1)</script>",
                     "kernelspec": {"name": "ritz", "display_name": "ritz", "language": "ritz"},
                     "language_info": {"name": "ritz"}},
        "cells": cells,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "hostile.ipynb"), "w", encoding="utf-8") as f:
        json.dump(notebook, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(here, "hostile_inline.txt"), "w", encoding="utf-8") as f:
        f.write("".join(f"{name}\n" for name, _ in TRICKS if name in INLINE))


if __name__ == "__main__":
    main()
