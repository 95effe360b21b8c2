"""What a picture looks like, for records whose words name no modality.

A caption often says what a figure shows ("Schematic of...", "Number of cases...") without naming the
kind of picture. Line art and charts sit on a white page in flat colour; photographs are continuous
tone. These measures separate the two well; they do not tell an X-ray from an MRI or a chart from a
diagram, so the caller decides those from the words and uses the picture only as a fallback.
"""
from __future__ import annotations

import re

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SIDE = 256

# Words that say a drawing plots data rather than explains something (en, pt, es, it, zh).
CHART_CUES = re.compile(
    r"\b(number of|numbers of|incidence|prevalence|cases reported|reported cases|rates?\b|proportion|percentage|"
    r"distribution of|trends?\b|per year|annual|per 100|surveillance data|over time|versus|vs\b|error bars|"
    r"mean values|survival|weekly|monthly|yearly|over (?:the )?(?:\w+ )?(?:days|weeks|months|years)|"
    r"semanal|mensal|anual|ao longo d|a lo largo d|número de|casos|taxa de|tasa de|incidência|incidencia|"
    r"prevalência|prevalencia|"
    r"distribuição|distribución|tendência|tendencia|numero di|casi|tasso|andamento)\b|"
    r"\b(19|20)\d\d\s?[–-]\s?(19|20)?\d\d\b|病例數|人數|比例|趨勢|發生率|盛行率",
    re.IGNORECASE)


@dataclass(frozen=True)
class Looks:
    white: float      # share of near-white pixels (the page showing through)
    colour: float     # share of clearly coloured pixels
    flat: float       # share of pixels the same as their right-hand neighbour (flat fills, line art)

    @property
    def kind(self) -> str | None:
        """'drawing' (line art, charts, flat-colour diagrams), 'photo' (continuous-tone colour) or None."""
        if (self.white >= 0.7 and self.flat >= 0.6) or (self.white >= 0.3 and self.flat >= 0.7):
            return "drawing"
        if self.white < 0.1 and self.colour >= 0.1 and self.flat < 0.6:
            return "photo"
        return None


def looks(path: Path) -> Looks:
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB").resize((SIDE, SIDE))).astype(np.int16)
    gray = a.mean(axis=2)
    saturation = a.max(axis=2) - a.min(axis=2)
    return Looks(white=round(float((gray > 235).mean()), 3), colour=round(float((saturation > 40).mean()), 3),
                 flat=round(float((np.abs(np.diff(gray, axis=1)) < 2).mean()), 3))
