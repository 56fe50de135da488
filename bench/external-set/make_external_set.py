#!/usr/bin/env python3
"""Builds the external test set: word images made by another renderer (ImageMagick) with fonts the demo never
trains on (Liberation 2 and GNU FreeFont, extracted from their Debian packages into a private folder, NOT installed,
so fontconfig - and therefore `dptr demo` - never sees them), drawn on crops of natural photographs.

Usage:  python3 bench/external-set/make_external_set.py OUT_DIR [--count 400] [--seed 1] [--photos DIR]

Needs: ImageMagick 6 (`apt-get install --no-install-recommends imagemagick`) and `apt-get download` (Debian's apt).
Words: Debian's `wamerican` list (also extracted, not installed), 3-10 letters, a-z only, minus every word of the
library's bundled training word list (src/Dptr.MLNet/Data/Bundled/english-words.txt), so the set's words are
unseen as well as its fonts and renderer; 25 % shown Capitalised and
15 % in UPPER case (labels keep the case shown; score with the 36-character protocol). Writes OUT_DIR/labels.tsv
(`file<TAB>label`) and the images, the folder layout `mlContext.Data.LoadFromImageFolder` and `dptr eval` read.
"""
import argparse, os, random, shutil, subprocess, sys, tempfile, glob

IM = "/usr/bin/convert"


def run(*cmd, capture=False):
    r = subprocess.run(cmd, check=True, stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return r.stdout.strip() if capture else None


def extract(packages, into):
    os.makedirs(into, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["apt-get", "download", *packages], cwd=d, check=True, stdout=subprocess.DEVNULL)
        for deb in glob.glob(os.path.join(d, "*.deb")):
            run("dpkg", "-x", deb, into)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--photos", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/natural"))
    # Diagnosis only (the external set itself uses the defaults): other faces through the same pipeline, and the
    # largest final rotation (its corners are filled white, as ImageMagick's -rotate does).
    ap.add_argument("--fonts", help="use the *.ttf files under this folder instead of Liberation 2 and FreeFont (diagnosis)")
    ap.add_argument("--max-rotation", type=float, default=3.0, help="largest rotation in degrees, either way (default 3)")
    a = ap.parse_args()
    if not os.path.exists(IM):
        sys.exit("ImageMagick is missing: apt-get install --no-install-recommends imagemagick")
    photos = sorted(glob.glob(os.path.join(a.photos, "*.png")) + glob.glob(os.path.join(a.photos, "*.jpg")))
    if not photos:
        sys.exit(f"no photographs (*.png, *.jpg) in {a.photos}: pass --photos DIR")
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="dptr-external-")
    try:
        extract(["wamerican"] if a.fonts else ["fonts-liberation2", "fonts-freefont-ttf", "wamerican"], work)
        font_glob = os.path.join(a.fonts, "**/*.ttf") if a.fonts else os.path.join(work, "usr/share/fonts/truetype/**/*.ttf")
        fonts = sorted(f for f in glob.glob(font_glob, recursive=True)
                       if "ExtraLight" not in os.path.basename(f) and (a.fonts or "Mono" not in os.path.basename(f) or rng.random() < 0.5))
        words = sorted({w.strip() for w in open(os.path.join(work, "usr/share/dict/american-english"), encoding="utf-8")
                        if 3 <= len(w.strip()) <= 10 and w.strip().isascii() and w.strip().isalpha() and w.strip().islower()})
        # Words the demo could have trained on are left out: the set measures reading unseen words.
        bundled = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/Dptr.MLNet/Data/Bundled/english-words.txt")
        with open(bundled, encoding="utf-8") as f:
            seen = {w.strip() for w in f}
        words = [w for w in words if w not in seen]
        rng.shuffle(words)
        os.makedirs(a.out, exist_ok=True)
        lines = []
        for i, word in enumerate(words[:a.count]):
            r = rng.random()
            text = word.capitalize() if r < 0.25 else word.upper() if r < 0.40 else word
            font = rng.choice(fonts)
            size = rng.randint(40, 64)
            photo = rng.choice(photos)
            txt = os.path.join(work, "text.png")
            # Text colour decided against the crop's mean grey level.
            w, h = (int(v) for v in run(IM, "-font", font, "-pointsize", str(size), f"label:{text}", "-format", "%w %h", "info:", capture=True).split())
            mw, mh = int(w * rng.uniform(0.04, 0.15)) + 2, int(h * rng.uniform(0.05, 0.25)) + 2
            pw, ph = (int(v) for v in run(IM, photo, "-format", "%w %h", "info:", capture=True).split())
            scale = max(1.0, (w + 2 * mw) / pw, (h + 2 * mh) / ph) * rng.uniform(1.0, 1.6)
            bg = os.path.join(work, "bg.png")
            run(IM, photo, "-resize", f"{int(pw * scale) + 1}x{int(ph * scale) + 1}!", "-gravity", "NorthWest",
                "-crop", f"{w + 2 * mw}x{h + 2 * mh}+{rng.randint(0, max(0, int(pw * scale) - w - 2 * mw))}+{rng.randint(0, max(0, int(ph * scale) - h - 2 * mh))}",
                "+repage", "-blur", f"0x{rng.uniform(0.5, 2.0):.2f}", bg)
            mean = float(run(IM, bg, "-colorspace", "Gray", "-format", "%[fx:mean]", "info:", capture=True))
            # Keep it legible: squeeze the background's tones away from the text's side (dark text on a background
            # lifted to >= 40 % grey, light text on one pressed to <= 60 %).
            run(IM, bg, "+level", "40%,100%" if mean > 0.5 else "0%,60%", bg)
            v = rng.randint(0, 60) if mean > 0.5 else rng.randint(200, 255)
            tint = [min(255, max(0, v + rng.randint(-30, 30))) for _ in range(3)]
            run(IM, "-background", "none", "-fill", "rgb({},{},{})".format(*tint), "-font", font, "-pointsize", str(size), f"label:{text}", txt)
            name = f"{i:05d}.jpg"
            angle = rng.uniform(-a.max_rotation, a.max_rotation)
            run(IM, bg, txt, "-gravity", "center", "-composite", "-rotate", f"{angle:.2f}", "-gravity", "center",
                "-crop", f"{w + 2 * mw}x{h + 2 * mh}+0+0", "+repage", "-quality", str(rng.randint(60, 95)), os.path.join(a.out, name))
            lines.append(f"{name}\t{text}")
        with open(os.path.join(a.out, "labels.tsv.tmp"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(os.path.join(a.out, "labels.tsv.tmp"), os.path.join(a.out, "labels.tsv"))
        with open(os.path.join(a.out, "README.txt"), "w", encoding="utf-8") as f:
            f.write(f"External test set: {len(lines)} images, ImageMagick {run(IM, '-version', capture=True).splitlines()[0]}\n"
                    f"fonts (never seen by the demo): {', '.join(sorted(os.path.basename(x) for x in fonts))}\n"
                    f"backgrounds: crops of {len(photos)} photographs in {os.path.abspath(a.photos)}; words: Debian wamerican minus the bundled training list; seed {a.seed}\n")
        print(f"wrote {len(lines)} images to {a.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
