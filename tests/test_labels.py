import pytest

from extractors.labels import citations_in, label_at_start


@pytest.mark.parametrize("text,kind,number", [
    ("Figure 1.2 The normal chest", "figure", "1.2"),
    ("Fig.\u202f1\u2002Fundus photograph", "figure", "1"),
    ("FIG 3 Cryo-EM map", "figure", "3"),
    ("\x08Table 2.1 Case definitions", "table", "2.1"),
    ("Figura 1.2. Risonanza", "figure", "1.2"),
    ("Tabela 3 - Achados", "table", "3"),
    ("Cuadro 2. Criterios diagnósticos", "table", "2"), ("Immagine 4. RM encefalo", "figure", "4"),
    ("Quadro 2 Critérios", "table", "2"),
    ("Abb. 5 Röntgen", "figure", "5"),
    ("Figure A.1 Anatomical axes", "figure", "A.1"),
    ("Scheme S1 Synthetic protocol", "figure", "S1"),
    ("Table IV. Summary", "table", "IV"),
    ("图3-1 心脏", "figure", "3-1"),
    ("表 2 统计", "table", "2"),
])
def test_caption_labels(text, kind, number):
    label = label_at_start(text)
    assert label is not None and (label.kind, label.number) == (kind, number)


@pytest.mark.parametrize("text", ["Figures show", "Figure. The end", "Tablespoon 2", "Boxes 3",
                                  "Cuadro clínico de 3 días"])
def test_not_labels(text):
    assert label_at_start(text) is None


@pytest.mark.parametrize("text,expected", [
    ("as shown (see Fig. 3.2) before", [("figure", "3.2")]),
    ("(Figs. 2\u20134)", [("figure", "2"), ("figure", "3"), ("figure", "4")]),
    ("Fig. 1-A", [("figure", "1")]),
    ("(Figs. 8, 9)", [("figure", "8"), ("figure", "9")]),
    ("see Figures 3 and 4", [("figure", "3"), ("figure", "4")]),
    ("Figura 1.2 mostra", [("figure", "1.2")]),
    ("如图3-1所示", [("figure", "3-1")]),
    ("Scheme S1 and Quadro 2", [("scheme", "S1"), ("quadro", "2")]),
    ("(figure 2(b))", [("figure", "2")]),
    ("Fig 1N", [("figure", "1")]),
    ("Tables 1 and 2", [("table", "1"), ("table", "2")]),
])
def test_citations(text, expected):
    assert [(k, n) for k, n, _, _ in citations_in(text)] == expected
