"""A document as one self-contained HTML page for phones: no script, no external request, inline CSS that
reflows on a 360 px screen and prints cleanly; the language and writing direction set."""

from __future__ import annotations

import html

from bot.offline.document import Chapter, Document

__all__ = ["render_html"]

# System fonts only (nothing to fetch); one column that wraps at any width; links printed after their text.
_STYLE = """
body{margin:0 auto;max-width:40em;padding:0 .9em 2em;font:1.05em/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:#111;background:#fff;overflow-wrap:break-word}
h1{font-size:1.45em;line-height:1.25;margin:.8em 0 .3em}h2{font-size:1.25em;margin:1.6em 0 .4em;
border-bottom:2px solid #863b7a}h3{font-size:1.08em;margin:1.3em 0 .4em}h4{font-size:1em;margin:1em 0 .3em;
text-decoration:underline}.item,.block{white-space:pre-line;margin:.6em 0}.sub{font-size:1.1em;color:#444}
.cover{border:1px solid #ccc;padding:.2em .8em;margin:1em 0}.meta{color:#444}.intro{font-style:italic}
nav ol{padding-left:1.3em}a{color:#5b1f52}footer{margin-top:2em;color:#444;font-size:.9em}
@media print{body{max-width:none;font-size:11pt}a{color:inherit}h2,h3{break-after:avoid}.item{break-inside:avoid}}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _chapter(chapter: Chapter, level: int) -> list[str]:
    h, hs = f"h{level}", f"h{level + 1}"
    out = [f'<section id="{chapter.id}">']
    if level > 1:
        out.append(f"<{h}>{_e(chapter.title)}</{h}>")
        out.extend(f'<p class="meta">{_e(fact)}</p>' for fact in chapter.facts)
    for part in chapter.parts:
        out.append(f'<section id="{chapter.id}-{part.id}"><{hs}>{_e(part.title)}</{hs}>')
        if part.intro:
            out.append(f'<p class="intro">{_e(part.intro)}</p>')
        for entry in part.entries:
            if entry.group_title:
                out.append(f"<h{level + 2}>{_e(entry.group_title)}</h{level + 2}>")
            out.append(f'<p class="item">{entry.html}</p>')
        out.append("</section>")
    out.append("</section>")
    return out


def render_html(doc: Document) -> bytes:
    """The page's bytes (UTF-8); the same document always gives the same bytes."""
    labels = doc.labels
    whole = len(doc.chapters) != 1 or bool(doc.front)
    title = doc.title if doc.subtitle is None else f"{doc.title} — {doc.subtitle}"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{doc.code}" dir="{doc.direction}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_STYLE.strip()}</style></head>",
        "<body><header>",
    ]
    if doc.subtitle:
        out.append(f'<p class="sub">{_e(doc.subtitle)}</p>')
    out.append(f"<h1>{_e(doc.title)}</h1>")
    if not whole:
        out.extend(f'<p class="meta">{_e(fact)}</p>' for fact in doc.chapters[0].facts)
    if labels.unofficial and doc.notice:
        out.append(f'<p class="block"><b>{_e(labels.unofficial)}.</b> <i>{doc.notice}</i></p>')
    out.append(f'<p class="meta">{_e(labels.date_line)}</p>')
    if doc.link and labels.link_line:
        before, _, after = labels.link_line.partition(doc.link)
        out.append(f'<p class="meta">{_e(before)}<a href="{doc.link}">{_e(doc.link)}</a>{_e(after)}</p>')
    out.append('<div class="cover">')
    out.extend(f'<p class="block">{block}</p>' for block in doc.cover)
    out.append("</div></header>")
    # A short table of contents: the themes of the whole brief, or the sections of one theme.
    targets = (
        [("about", doc.front_title)] * bool(doc.front) + [(c.id, c.title) for c in doc.chapters]
        if whole
        else [(f"{doc.chapters[0].id}-{p.id}", p.title) for p in doc.chapters[0].parts]
    )
    out.append(f"<nav><h2>{_e(labels.contents)}</h2><ol>")
    out.extend(f'<li><a href="#{anchor}">{_e(name)}</a></li>' for anchor, name in targets)
    out.append("</ol></nav><main>")
    if doc.front:
        out.append(f'<section id="about"><h2>{_e(doc.front_title)}</h2>')
        out.extend(f'<p class="block">{block}</p>' for block in doc.front)
        out.append("</section>")
    for chapter in doc.chapters:
        out.extend(_chapter(chapter, 2 if whole else 1))
    out.append("</main><footer>")
    if labels.unofficial:
        out.append(f"<p>{_e(labels.unofficial)}</p>")
    out.append(f"<p>{_e(labels.date_line)}</p></footer></body></html>")
    return ("\n".join(out) + "\n").encode()
