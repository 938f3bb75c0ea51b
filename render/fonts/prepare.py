"""Prepares the subset font for the Go PDF library, which embeds a subset by
writing the whole loca and hmtx tables: fewer glyphs and a short hmtx make every
PDF smaller and faster to write.

1. Composite glyphs are decomposed, so that no glyph is kept only as a component.
2. Glyphs are ordered .notdef first, then those whose advance is not the em, then
   the full-width ones, so that hmtx stores one advance width for all of those;
   each group in code point order, so that the cmap stays a few ranges (the Go
   parser reads only cmap format 4, whose 16-bit length a long glyph id array
   overflows).

Usage: python3 prepare.py IN.ttf OUT.ttf (then subset OUT.ttf again to drop the
components no longer used; see README.md).
"""
import sys
from fontTools.ttLib import TTFont
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen

src, dst = sys.argv[1], sys.argv[2]
f = TTFont(src)
glyf = f["glyf"]
gs = f.getGlyphSet()
for name in f.getGlyphOrder():
    if glyf[name].isComposite():
        rec = DecomposingRecordingPen(gs)
        gs[name].draw(rec)
        pen = TTGlyphPen(None)
        rec.replay(pen)
        glyf[name] = pen.glyph()
upem = f["head"].unitsPerEm
hmtx = f["hmtx"].metrics
order = f.getGlyphOrder()
first = {}
for code, g in sorted(f.getBestCmap().items()):
    first.setdefault(g, code)
rest = sorted((g for g in order[1:] if g in first), key=first.get)
narrow = [g for g in rest if hmtx[g][0] != upem]
wide = [g for g in rest if hmtx[g][0] == upem]
unmapped = [g for g in order[1:] if g not in first]  # components: the subset drops them
new = [order[0]] + narrow + wide + unmapped
f.setGlyphOrder(new)
glyf.glyphOrder = new
f.save(dst)
