"""The photo pipeline on a 12 MP phone-style JPEG (EXIF orientation 6, GPS), against a naive Pillow pipeline.

Naive: for every rendition, a separate full decode, exif_transpose, resize and JPEG encode (same filter
and quality as ours, so the ratio measures the pipeline's structure, not a cheaper filter).
Ours: one decode at the smallest DCT scale the renditions allow, upright and sRGB, then a cascade.
Times are medians of runs side by side in this process. Peak memory is the growth of the peak resident
set (VmHWM) of a fresh interpreter over its state just before the call, which counts Pillow's own
buffers (tracemalloc would not). Quality: PSNR of each of our renditions against the naive one.
Target: at least 4x faster, under 64 MB peak.
"""

from __future__ import annotations

import io
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.imaging.photo import RENDITION_SPECS, RenditionSpec, process_photo

RUNS = 7


def phone_photo() -> bytes:
    """4000x3000 stored sideways (orientation 6) with GPS, with texture so that decoding costs what it does."""
    base = Image.radial_gradient("L").resize((4000, 3000)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(120):
        draw.ellipse(
            (i * 31 % 3600, i * 23 % 2600, i * 31 % 3600 + 400, i * 23 % 2600 + 380), fill=(i * 7 % 255, 90, 160)
        )
    noise = Image.effect_noise((4000, 3000), 24).convert("RGB")
    photo = Image.blend(base, noise, 0.25).filter(ImageFilter.GaussianBlur(0.6))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 21.8), 3: "E", 4: (5.0, 6.0, 36.4)}
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def naive(data: bytes, specs: tuple[RenditionSpec, ...]) -> list[bytes]:
    results = []
    for spec in specs:
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
            if spec.mode == "fit":
                upright.thumbnail((spec.width, spec.height), Image.Resampling.BICUBIC)
                resized = upright
            else:
                resized = ImageOps.fit(
                    upright, (spec.width, spec.height), Image.Resampling.BICUBIC, centering=(0.5, 0.35)
                )
            out = io.BytesIO()
            resized.save(out, "JPEG", quality=spec.quality)
            results.append(out.getvalue())
    return results


def median_seconds(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Interleaved runs, so that machine noise hits every pipeline alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(RUNS):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def high_water_kib() -> int:
    """This process's peak resident set (VmHWM); unlike ru_maxrss it does not inherit the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_megabytes(pipeline: str, photo_file: Path) -> float:
    """Peak RSS growth of a fresh interpreter running one pipeline once on the photo in ``photo_file``."""
    call = 'process_photo(data, "image/jpeg")' if pipeline == "ours" else "b.naive(data, RENDITION_SPECS)"
    script = (
        "import sys, pathlib; sys.path.insert(0, 'bench'); import photo_pipeline as b;"
        "from chalicelib.imaging.photo import RENDITION_SPECS, process_photo;"
        f"data = pathlib.Path({str(photo_file)!r}).read_bytes();"
        "before = b.high_water_kib();"
        f"{call};"
        "print((b.high_water_kib() - before) / 1024)"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    return float(result.stdout)


def psnr(ours: bytes, reference: bytes) -> float:
    a, b = Image.open(io.BytesIO(ours)).convert("RGB"), Image.open(io.BytesIO(reference)).convert("RGB")
    if a.size != b.size:
        return float("nan")
    histogram = ImageChops.difference(a, b).histogram()
    squared = sum(count * (index % 256) ** 2 for index, count in enumerate(histogram))
    mse = squared / (a.width * a.height * 3)
    return float("inf") if mse == 0 else 10 * math.log10(255**2 / mse)


def main() -> None:
    data = phone_photo()
    specs = RENDITION_SPECS
    size = len(data) / 2**20
    print(f"input: {size:.1f} MiB JPEG, 4000x3000 stored, EXIF orientation 6 with GPS; {len(specs)} renditions")
    medians = median_seconds({"ours": lambda: process_photo(data, "image/jpeg"), "naive": lambda: naive(data, specs)})
    with tempfile.TemporaryDirectory() as folder:
        photo_file = Path(folder) / "phone.jpg"
        photo_file.write_bytes(data)
        memory = {name: peak_megabytes(name, photo_file) for name in ("ours", "naive")}
    for name, label in (("ours", "kind alarm pipeline"), ("naive", "naive pipeline     ")):
        print(f"{label}: median {medians[name] * 1000:7.1f} ms, peak {memory[name]:6.1f} MB above baseline")
    speed, saving = medians["naive"] / medians["ours"], memory["naive"] / max(memory["ours"], 0.1)
    print(f"ratio naive / ours: {speed:.2f}x faster, {saving:.1f}x less memory")
    ours = process_photo(data, "image/jpeg")
    reference = naive(data, specs)
    quality = ", ".join(f"{r.name} {psnr(r.data, ref):.1f}" for r, ref in zip(ours, reference, strict=True))
    print(f"PSNR against the naive renditions (dB): {quality}")


if __name__ == "__main__":
    main()
