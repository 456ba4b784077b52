"""Write the visuals of a sample alert to docs/previews/, so a reader can see what each channel shows.

The photo is a drawn stand-in, never a real child. Run with ``make previews``.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageDraw

from chalicelib.imaging.photo import process_photo
from chalicelib.imaging.visuals import VisualContent, VisualKind, render_visual

OUT = Path(__file__).resolve().parents[1] / "docs" / "previews"
SIZES: dict[VisualKind, tuple[int, int]] = {
    "social_card": (1200, 675),
    "station_poster": (1920, 1080),
    "road_sign": (480, 270),
}


def stand_in_photo() -> bytes:
    """A drawn portrait: background, face, hair, red coat."""
    image = Image.new("RGB", (900, 1200), (196, 214, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle((170, 820, 730, 1200), fill=(190, 30, 40))
    draw.ellipse((270, 230, 630, 690), fill=(236, 200, 170))
    draw.chord((250, 170, 650, 560), 180, 360, fill=(222, 184, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    master = next(r for r in process_photo(out.getvalue(), "image/jpeg") if r.name == "master")
    return master.data


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    photo = stand_in_photo()
    samples = {
        "kind_alarm": VisualContent(
            "kind_alarm",
            "Sanne de Vries",
            "Sanne (9) vermist in Utrecht",
            "0800-6070",
            photo,
            age=9,
            place="Utrecht Centraal",
            seen_at=datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc),
            description="1,30 m, blond haar, rode jas",
        ),
        "vermist_kind_no_photo": VisualContent(
            "vermist_kind",
            "IJsbrand Daniël van den Heuvel",
            "IJsbrand (12) vermist in Amsterdam",
            "0800-6070",
            age=12,
            place="Station Amsterdam Bijlmer ArenA",
            seen_at=datetime(2026, 7, 4, 12, 0, tzinfo=timezone.utc),
            description="Kort donker haar, groene rugzak, blauwe jas",
        ),
        # Every text at its longest: what shrinks, what wraps, what is cut with «…».
        "kind_alarm_long": VisualContent(
            "kind_alarm",
            "Maria-Louisa Anaïs Zoë Daniëlle van den Heuvel-Wolfeschlegelsteinhausen tot Oud-Beijerland",
            "Zoë (7) vermist in Capelle aan den IJssel, mogelijk meegenomen door een bekende in een grijze bestelbus",
            "0800-6070",
            photo,
            age=7,
            place="Speeltuin achter het winkelcentrum aan de Burgemeester van Roijensingel, Leidschendam-Voorburg",
            seen_at=datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc),
            description=(
                "Ongeveer 1,30 m lang, tenger, lang blond haar in een vlecht, blauwe ogen, sproeten. Draagt een rode "
                "winterjas met capuchon, een spijkerbroek, roze gympen en een groene rugzak met een eenhoorn erop. "
                "Heeft een bril met een paars montuur. Spreekt Nederlands en een beetje Engels. Is bang voor honden "
                "en loopt weg als iemand haar aanspreekt; benader haar rustig en blijf bij haar tot de politie er is."
            ),
        ),
    }
    for sample, content in samples.items():
        for kind, size in SIZES.items():
            path = OUT / f"{sample}-{kind}.png"
            path.write_bytes(render_visual(content, size, kind))
            print(f"wrote {path.relative_to(OUT.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
