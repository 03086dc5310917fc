"""Writes the CSV cases under Fixtures/csv and their expected results (expected.json).

The expectations come from Python's csv module (RFC 4180 quoting, strict mode, any line
ending) and float(), following the rules ritz documents for load(): the delimiter is the most
frequent of , ; tab outside quotes on the first non-blank line (ties in that order); the first
record is a header when none of its fields is a number; every other field must be a number
(float() syntax, without hexadecimal or underscores); a single row or column is 1-d. Where a
case is plain numbers, numpy.loadtxt must agree, and the script stops if it does not.

Run: python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy && /tmp/venv/bin/python make_csv_fixtures.py
"""
import csv
import io
import json
import os
import re

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (bytes, delimiter or None, header or None, numpy-comparable)
CASES = {
    "quoted_commas_header": (b'"name, first","value"\n1,2\n3,4\n', None, None, False),
    "doubled_quotes_header": (b'"a ""quoted"" name",b\n1,2\n3,4\n', None, None, False),
    "quoted_newline_header": (b'"multi\nline",b\n1,2\n', None, None, False),
    "crlf": (b"1,2\r\n3,4\r\n", None, None, True),
    "cr_only": (b"1,2\r3,4\r", None, None, False),
    "empty_trailing_line": (b"1,2\n3,4\n\n", None, None, True),
    "single_line": (b"1,2,3", None, None, True),
    "single_line_semicolon": (b"1;2;3\n", None, None, False),
    "single_line_quoted": (b'"1","2","3"\n', None, None, False),
    "single_column": (b"1\n2\n3\n", None, None, True),
    "header_then_data": (b"x,y\n1,2\n5,6\n", None, None, False),
    "semicolon_header": (b"a;b\n1;2\n3;4\n", None, None, False),
    "tab": (b"1\t2\n3\t4\n", None, None, False),
    "spaces": (b"1, 2\n 3 ,4\n", None, None, True),
    "scientific": (b"1e-3,2.5E+10,.5,5.\n-0,+7,1E3,0.000\n", None, None, True),
    "specials": (b"nan,-inf,+Infinity\n1,2,3\n", None, None, False),
    "bom": (b"\xef\xbb\xbf1,2\n3,4\n", None, None, False),
    "quoted_numbers": (b'"1","2"\n"3","4"\n', None, None, False),
    "explicit_no_header": (b"1,2\n3,4\n", ",", False, True),
    "explicit_header": (b"1,2\n3,4\n", ",", True, False),
    "explicit_semicolon": (b"1;2\n3;4\n", ";", None, False),
    "semicolon_with_comma_decimal": (b"x;y\n1,5;2,5\n", ";", None, False),
    # Errors.
    "bad_field": (b"1,2x,3\n4,5,6\n", None, None, False),
    "hex": (b"0x10,1\n2,3\n", None, None, False),
    "underscore": (b"1_000,2\n", None, None, False),
    "ragged": (b"1,2\n3\n", None, None, False),
    "empty_field": (b"1,,3\n", None, None, False),
    "unclosed_quote": (b'"1,2\n', None, None, False),
    "text_after_quote": (b'"1"x,2\n', None, None, False),
    "mixed_first_row": (b"x,1\n2,3\n", None, None, False),
    "header_false_text": (b"a,b\n1,2\n", ",", False, False),
}

NUMBER = re.compile(r"^[ \t]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)[ \t]*$", re.I)


def number(field):
    """float() of a field in the documented syntax, or None."""
    return float(field) if NUMBER.match(field) else None


def detect(text):
    for line in text.splitlines():
        if line.strip(" \t") == "":
            continue
        counts = {d: 0 for d in ",;\t"}
        in_quotes = False
        for ch in line:
            if ch == '"':
                in_quotes = not in_quotes
            elif not in_quotes and ch in counts:
                counts[ch] += 1
        best = max(",;\t", key=lambda d: (counts[d], -",;\t".index(d)))
        return best if counts[best] > 0 else ","
    return ","


def reference(data, delimiter, header):
    text = data.decode("utf-8-sig")
    d = delimiter or detect(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=d, strict=True, skipinitialspace=True))
    except csv.Error as e:
        return {"error": "quote", "detail": str(e)}
    rows = [r for r in rows if r and not (len(r) == 1 and r[0].strip(" \t") == "")]
    if rows and (header if header is not None else all(number(f) is None for f in rows[0])):
        rows = rows[1:]
    values = []
    for r, row in enumerate(rows):
        if len(row) != len(rows[0]):
            return {"error": "fields"}
        for f in row:
            v = number(f)
            if v is None:
                return {"error": "not a number" if f.strip() else "empty field"}
            values.append(v)
    if not rows:
        return {"shape": [0], "values": []}
    shape = [len(values)] if len(rows) == 1 or len(rows[0]) == 1 else [len(rows), len(rows[0])]
    return {"shape": shape, "values": [repr(v) for v in values]}


def main():
    out = {}
    for name, (data, delimiter, header, numpy_comparable) in CASES.items():
        with open(os.path.join(HERE, name + ".csv"), "wb") as f:
            f.write(data)
        expected = reference(data, delimiter, header)
        if numpy_comparable:
            loaded = np.loadtxt(io.StringIO(data.decode("utf-8")), delimiter=delimiter or ",",
                                skiprows=1 if header else 0)
            assert list(loaded.shape) == expected["shape"], (name, loaded.shape, expected)
            assert [repr(float(v)) for v in loaded.ravel()] == expected["values"], (name, loaded)
        out[name] = dict(expected, delimiter=delimiter, header=header)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d cases" % len(out))


if __name__ == "__main__":
    main()
