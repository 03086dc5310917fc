#!/usr/bin/env python3
"""Checks a page written by `ritz export --to html` with the HTML5 parsing algorithm (html5lib).

    python3 html_safety.py PAGE.html [--inline-plots]

Fails (exit 1, one line per finding) on anything in the parsed tree that can run script,
navigate, submit or load from elsewhere: script, iframe/frame, object/embed/applet, base, form
and form controls, link, meta other than charset and the Content-Security-Policy, SVG
foreignObject and animation elements, event-handler attributes (on*), srcdoc, any URL
attribute that is not a local #id (on <img src> a base64 SVG data: URL; on <a href> also an
http(s) or mailto link), javascript:/
vbscript: anywhere in an attribute, and @import, expression() or a non-local url() in CSS. It
also requires the page's Content-Security-Policy to forbid script.

With --inline-plots it also requires every plot to be inline SVG (no <img>), every id in the
page to be unique, and every url(#id) or href="#id" inside an SVG to name an id of that SVG.
Needs html5lib (pip install html5lib); exit 2 when the page cannot be read.
"""
import re
import sys

import html5lib

HTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
FORBIDDEN = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form",
    "input", "button", "textarea", "select", "link", "portal", "noscript",
    "foreignobject", "animate", "animatemotion", "animatetransform", "animatecolor", "set",
    "handler", "listener", "image", "feimage",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "ping",
                  "lowsrc", "dynsrc", "codebase", "cite", "longdesc", "manifest", "xlink:href",
                  "{http://www.w3.org/1999/xlink}href"}
DATA_IMAGE = re.compile(r"^data:image/svg\+xml;base64,[A-Za-z0-9+/]*={0,2}$")
LOCAL_REF = re.compile(r"^#[A-Za-z0-9_.-]+$")
LINK = re.compile(r"^(https?://|mailto:|#)", re.IGNORECASE)
URL_FUNCTION = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)


def local_name(tag):
    return tag.split("}", 1)[-1].lower() if isinstance(tag, str) else ""


def normalised(value):
    """A value as a URL parser sees its scheme: no ASCII whitespace or controls, lower case."""
    return "".join(ch for ch in value if ord(ch) > 0x20 and ch != "\x7f").lower()


def css_findings(where, css):
    found = []
    flat = normalised(css)
    if "@import" in flat or "expression(" in flat or "javascript:" in flat or "\\" in css:
        found.append(f"{where}: CSS with @import, expression(), javascript: or an escape")
    for match in URL_FUNCTION.finditer(css):
        if not LOCAL_REF.match(match.group(2).strip()):
            found.append(f"{where}: CSS url() to something other than a local #id")
    return found


def check(page_text, inline_plots):
    document = html5lib.parse(page_text, treebuilder="etree", namespaceHTMLElements=True)
    findings = []
    policies = []
    styles = 0
    ids = {}
    for element in document.iter():
        name = local_name(element.tag)
        where = f"<{name}>"
        if name in FORBIDDEN:
            findings.append(f"{where}: element not allowed")
        if name == "meta":
            equiv = normalised(element.get("http-equiv", ""))
            if equiv == "content-security-policy":
                policies.append(element.get("content", ""))
            elif equiv or set(element.keys()) - {"charset"}:
                findings.append(f"{where}: meta other than charset and the CSP ({equiv or 'no http-equiv'})")
        if name == "style":
            styles += 1
            findings += css_findings(where, "".join(element.itertext()))
        for key, value in element.items():
            attribute = local_name(key) if key.startswith("{") else key.lower()
            if attribute.startswith("on"):
                findings.append(f"{where}: event handler attribute {attribute}")
            if attribute == "srcdoc":
                findings.append(f"{where}: srcdoc")
            flat = normalised(value)
            if "javascript:" in flat or "vbscript:" in flat:
                findings.append(f"{where}: javascript:/vbscript: in {attribute}")
            if key in URL_ATTRIBUTES or attribute in URL_ATTRIBUTES:
                if name == "img" and attribute == "src":
                    if not DATA_IMAGE.match(value):
                        findings.append(f"{where}: img src is not a base64 SVG data: URL")
                elif name == "a" and attribute == "href":
                    if not LINK.match(value.strip()):
                        findings.append(f"{where}: link that is not http(s), mailto or #id")
                elif not LOCAL_REF.match(value):
                    findings.append(f"{where}: {attribute} is not a local #id")
            if attribute == "style" or "url(" in flat:
                findings += css_findings(f"{where} {attribute}", value)
            if attribute == "id":
                ids[value] = ids.get(value, 0) + 1
    if styles > 1:
        findings.append(f"{styles} <style> elements (the page has one)")
    if len(policies) != 1:
        findings.append(f"{len(policies)} Content-Security-Policy meta elements (want 1)")
    else:
        directives = {d.split()[0].lower(): d.split()[1:] for d in policies[0].split(";") if d.split()}
        if directives.get("default-src") != ["'none'"]:
            findings.append("CSP: default-src is not 'none'")
        if directives.get("script-src", ["'none'"]) != ["'none'"]:
            findings.append("CSP: script-src allows script")
    if inline_plots:
        findings += plot_findings(document, ids)
    return findings


def plot_findings(document, ids):
    found = [f"id {i!r} appears {n} times" for i, n in sorted(ids.items()) if n > 1]
    plots = [e for e in document.iter() if local_name(e.tag) == "div" and e.get("class") == "plot"]
    if not plots:
        found.append("no plots in the page")
    for number, plot in enumerate(plots, 1):
        svgs = [e for e in plot if e.tag == SVG + "svg"]
        if len(svgs) != 1 or any(local_name(e.tag) == "img" for e in plot.iter()):
            found.append(f"plot {number} is not one inline <svg>")
            continue
        own = {e.get("id") for e in svgs[0].iter() if e.get("id")}
        for e in svgs[0].iter():
            for key, value in e.items():
                refs = [m.group(2).strip() for m in URL_FUNCTION.finditer(value)]
                if local_name(key) == "href":
                    refs.append(value)
                for ref in refs:
                    if ref[1:] not in own:
                        found.append(f"plot {number}: reference {ref!r} names no id of its SVG")
    return found


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 1 or set(argv[1:]) - set(args) - {"--inline-plots"}:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as f:
            page = f.read()
    except OSError as error:
        print(f"cannot read {args[0]}: {error}", file=sys.stderr)
        return 2
    findings = check(page, "--inline-plots" in argv)
    for line in findings:
        print(f"{args[0]}: {line}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
