# Writes the code points to keep: GBK, printable ASCII, Latin-1, and the symbol
# blocks the form prints (punctuation, arrows, maths, enclosed numbers, box
# drawing, geometric shapes, CJK symbols, full-width forms).
cps=set(range(0x20,0x7f))|set(range(0xa0,0x100))
for b1 in range(0x81,0xff):
    for b2 in range(0x40,0xff):
        if b2==0x7f: continue
        try: cps.add(ord(bytes([b1,b2]).decode('gbk')))
        except UnicodeDecodeError: pass
for lo,hi in [(0x2000,0x206f),(0x2100,0x214f),(0x2190,0x21ff),(0x2200,0x22ff),(0x2460,0x24ff),(0x2500,0x25ff),(0x2600,0x26ff),(0x3000,0x303f),(0xff00,0xffef)]:
    cps|=set(range(lo,hi+1))
print("\n".join("U+%04X"%c for c in sorted(cps)))
