"""The few SVG pieces the pictures are made of: escaped text, boxes, groups, and a text-width estimate good enough
to size boxes without a font library (the pictures name only generic font families, so nothing is fetched)."""

from __future__ import annotations

from html import escape
from typing import List, Optional, Sequence

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans, Verdana, sans-serif"
# Average advance of DejaVu Sans glyphs in em, measured on the labels drawn here (0.53 regular, 0.66 bold) plus a
# margin, so that text stays inside its box when another sans-serif font (Verdana is wider) stands in.
EM_ADVANCE = 0.58
EM_ADVANCE_BOLD = 0.70

def text_width(text: str, size: float, bold: bool = False) -> float:
    if text.isupper():  # tags: capitals are wider than the average glyph
        return len(text) * size * (0.80 if bold else 0.70)
    return len(text) * size * (EM_ADVANCE_BOLD if bold else EM_ADVANCE)


def _shown(c: str) -> str:
    o = ord(c)
    return "\\x%02x" % o if o < 32 and c not in "\t\n" or 0x7f <= o < 0xa0 else c


def esc(value: object) -> str:
    """Text and attribute values escaped for XML and HTML alike. Control characters become visible escapes
    (\\x1b): any user can name a process or a captured host "\\x1b]0;..." to drive the terminal of whoever
    prints the page with -o -, and XML 1.0 allows none of them."""
    return escape("".join(map(_shown, str(value))), quote=True)


def rect(x: float, y: float, w: float, h: float, cls: str, rx: float = 0, title: Optional[str] = None) -> str:
    shape = '<rect x="%g" y="%g" width="%g" height="%g"%s class="%s"' % (
        x, y, max(w, 0), max(h, 0), ' rx="%g"' % rx if rx else "", cls)
    if title is None:
        return shape + "/>"
    return shape + "><title>%s</title></rect>" % esc(title)


def text(x: float, y: float, content: str, cls: str, anchor: str = "start") -> str:
    return '<text x="%g" y="%g" class="%s"%s>%s</text>' % (
        x, y, cls, ' text-anchor="%s"' % anchor if anchor != "start" else "", esc(content))


def group(x: float, y: float, parts: Sequence[str]) -> str:
    return '<g transform="translate(%g,%g)">%s</g>' % (x, y, "".join(parts))


def scoped(css: str, scope: str) -> str:
    """Every rule of `css` limited to elements under class `scope`: inline in the HTML report, an SVG's <style>
    applies to the whole page, and its .t or .c must not restyle the page's tables."""
    rules = []
    for rule in css.replace("\n", "").split("}"):
        if "{" in rule:
            selectors, body = rule.split("{", 1)
            rules.append(",".join(".%s %s" % (scope, sel.strip()) for sel in selectors.split(",")) + "{" + body + "}")
    return "".join(rules)


def document(width: float, height: float, style: str, defs: str, body: List[str], title: str,
             scope: str) -> str:
    """A standalone SVG document (also valid inline in HTML5); `style` applies only inside it."""
    return ('<svg xmlns="%s" class="%s" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" '
            'font-family="%s"><title>%s</title><style>%s</style><defs>%s</defs>%s</svg>' % (
                SVG_NS, scope, width, height, width, height, esc(title), esc(FONT), esc(title),
                scoped(style, scope), defs, "".join(body)))
