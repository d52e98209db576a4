"""The terminal renderer's parts: glyphs and lines, the verdict, the layer table and the rows it fits,
the findings and recommendations blocks, styles and the progress line. render/terminal.py assembles them.
"""
