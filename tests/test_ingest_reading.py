"""Reading real-world files: dialects, structure, containers, formats and bad input."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from nbdash.errors import IngestError
from nbdash.ingest import read_table
from nbdash.ingest import records as records_module
from nbdash.ingest.reading import list_sheets

ROWS = "id,city,amount\n1,Paris,10\n2,Lyon,20\n3,Nice,30\n4,Metz,40\n"


def _text(data: bytes, **options: object) -> pd.DataFrame:
    return read_table(data, filename="t.csv", infer_types=False, **options).frame  # type: ignore[arg-type]


def _messages(data: bytes, **options: object) -> list[tuple[int | None, str]]:
    report = read_table(data, filename="t.csv", **options).report  # type: ignore[arg-type]
    return [(problem.line, problem.message) for problem in report.problems]


@pytest.mark.parametrize("delimiter", ["^", "~", "#", ":", "|", ";", "\t"])
def test_any_single_character_delimiter_is_detected(delimiter: str) -> None:
    data = ROWS.replace(",", delimiter).encode()

    frame = _text(data)

    assert list(frame.columns) == ["id", "city", "amount"]
    assert frame["city"].tolist() == ["Paris", "Lyon", "Nice", "Metz"]


def test_single_quotes_and_backslash_escapes() -> None:
    quoted = b"a,b\n'x, y',1\n'z, w',2\n'p, q',3\n"
    escaped = b'a,b\n"say \\"hi\\", ok",1\n"x",2\n"y \\"z\\"",3\n'

    assert _text(quoted)["a"].tolist() == ["x, y", "z, w", "p, q"]
    assert _text(escaped)["a"].tolist() == ['say "hi", ok', "x", 'y "z"']


def test_carriage_return_line_endings() -> None:
    frame = _text(ROWS.replace("\n", "\r").encode())

    assert frame["amount"].tolist() == ["10", "20", "30", "40"]


def test_preamble_is_skipped_and_reported() -> None:
    data = ("Sales export\nGenerated 2024-01-02,,\n\n" + ROWS).encode()

    result = read_table(data, filename="t.csv")

    assert list(result.frame.columns) == ["id", "city", "amount"]
    assert result.frame["amount"].sum() == 100
    skipped = [p.line for p in result.report.problems if "preamble" in p.message]
    assert skipped == [1, 2]


def test_two_header_rows_are_joined() -> None:
    data = b"Region,Units,Revenue\n,count,EUR\nNorth,1,2.5\nSouth,3,4.5\nEast,5,6.5\n"

    result = read_table(data, filename="t.csv")

    assert list(result.frame.columns) == ["Region", "Units count", "Revenue EUR"]
    assert result.frame["Units count"].tolist() == [1, 3, 5]
    assert any("lines 1, 2 joined" in p.message for p in result.report.problems)


def test_file_without_header_gets_made_up_names() -> None:
    data = b"1,2024-01-05,3.5\n2,2024-01-06,4.5\n3,2024-01-07,5.5\n"

    frame = _text(data)

    assert list(frame.columns) == ["column_1", "column_2", "column_3"]
    assert frame["column_1"].tolist() == ["1", "2", "3"]


def test_footnotes_are_dropped_and_reported() -> None:
    data = (ROWS + "\nSource: finance team\n* amounts in EUR\n").encode()

    result = read_table(data, filename="t.csv")

    assert len(result.frame) == 4
    dropped = [p.line for p in result.report.problems if "footnote" in p.message]
    assert dropped == [7, 8]


def test_second_table_is_not_read_and_its_line_reported() -> None:
    second = "\nid,product\n1,apple\n2,pear\n"
    data = (ROWS + second).encode()

    result = read_table(data, filename="t.csv")

    assert result.frame["id"].tolist() == [1, 2, 3, 4]
    found = [p.line for p in result.report.problems if "another table" in p.message]
    assert found == [7]


def test_ragged_rows_extra_column_drop_and_error() -> None:
    data = b"a,b,c\n1,2,3\n4,5,6,7,8\n9,10\n11,12,13\n"

    kept = read_table(data, filename="t.csv", infer_types=False)
    dropped = read_table(data, filename="t.csv", infer_types=False, ragged="drop")

    extra = [
        value if isinstance(value, str) else None for value in kept.frame["_extra"]
    ]
    assert extra == [None, "7,8", None, None]
    assert kept.frame["c"].tolist() == ["3", "6", "", "13"]
    assert list(dropped.frame.columns) == ["a", "b", "c"]
    assert dropped.frame["c"].tolist() == ["3", "6", "", "13"]
    lines = sorted({p.line for p in dropped.report.problems if p.line})
    assert lines == [3, 4]
    with pytest.raises(IngestError, match=r"'t.csv' line 3: row has 5 fields"):
        read_table(data, filename="t.csv", ragged="error")


def test_stray_quote_is_kept_as_text() -> None:
    data = b'a,b,c\n1,x,y\n2,"oops,z\n3,u,v\n4,s,t\n'

    frame = _text(data)

    assert frame["b"].tolist() == ["x", '"oops', "u", "s"]
    assert frame["c"].tolist() == ["y", "z", "v", "t"]


SHOP = (
    "day,time,qty,code,note\n"
    "28/01/2018,00:00,2,MG-8769,first\n"
    "29/01/2018,00:15,0,RI-3895,\n"
    "30/01/2018,00:30,5,RI-8070,\n"
    "31/01/2018,00:45,1,RI-9546,\n"
    "01/02/2018,01:00,3,RI-9547,\n"
    "02/02/2018,01:15,7,RI-9548,\n"
    "03/02/2018,01:30,4,RI-9549,last one\n"
)


def test_doubled_delimiter_is_removed_where_the_columns_show_it() -> None:
    # Line 4 has "00:30,,5": without the empty field, qty and code fit again.
    data = SHOP.replace("00:30,5", "00:30,,5").encode()

    result = read_table(data, filename="t.csv", infer_types=False)

    assert list(result.frame.columns) == ["day", "time", "qty", "code", "note"]
    assert result.frame.iloc[2].tolist() == ["30/01/2018", "00:30", "5", "RI-8070", ""]
    messages = [(p.line, p.message) for p in result.report.problems]
    assert messages == [
        (
            4,
            "row has 6 fields, the header has 5: the empty field(s) at position 3 "
            "(a doubled delimiter) removed, as the other rows' columns show",
        )
    ]


def test_surplus_that_fits_no_column_better_is_left_to_ragged() -> None:
    # b and c are sometimes empty: "p,q,r" fits no better than "p,,q" + "r".
    data = b"a,b,c\nx,,z\nu,v,\ns,,o\nk,t,\np,,q,r\n"

    kept = read_table(data, filename="t.csv", infer_types=False)

    assert kept.frame.iloc[4].tolist() == ["p", "", "q", "r"]
    assert any("kept in column '_extra'" in p.message for p in kept.report.problems)


def test_lost_delimiter_is_put_back_where_the_columns_show_it() -> None:
    # Line 4 reads "00:305": no time has three digits after the colon.
    data = SHOP.replace("00:30,5", "00:305").encode()

    result = read_table(data, filename="t.csv", infer_types=False)

    assert result.frame.iloc[2].tolist() == ["30/01/2018", "00:30", "5", "RI-8070", ""]
    messages = [(p.line, p.message) for p in result.report.problems]
    assert messages == [
        (
            4,
            "row has 4 fields, the header has 5: a delimiter seems lost in '00:305', "
            "read as '00:30' and '5' (columns 2 and 3), as the other rows' columns "
            "show",
        )
    ]


def test_lost_delimiter_before_a_quoted_field_is_put_back() -> None:
    data = b'a,b,c\n1,x,"p, q"\n2,y"r, s, t"\n3,z,"u, v"\n4,w,"k, l"\n'

    result = read_table(data, filename="t.csv", infer_types=False)

    assert list(result.frame.columns) == ["a", "b", "c"]
    assert result.frame.iloc[1].tolist() == ["2", "y", "r, s, t"]
    assert [p.line for p in result.report.problems] == [3]
    assert "a delimiter seems lost before a quoted field" in (
        result.report.problems[0].message
    )


def test_short_row_whose_cells_fit_their_columns_is_padded() -> None:
    # "9,10": 10 is a usual value of b, so nothing is split; c is left empty.
    data = b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n13,14,15\n9,10\n"

    frame = _text(data)

    assert frame.iloc[5].tolist() == ["9", "10", ""]


def test_doubled_delimiter_in_the_header_is_removed() -> None:
    data = SHOP.replace("qty,code", "qty,,code").encode()

    result = read_table(data, filename="t.csv", infer_types=False)

    assert list(result.frame.columns) == ["day", "time", "qty", "code", "note"]
    assert result.frame["code"].tolist()[:4] == [
        "MG-8769",
        "RI-3895",
        "RI-8070",
        "RI-9546",
    ]
    assert [p.line for p in result.report.problems] == [1]
    assert "empty name(s) at position 4" in result.report.problems[0].message


def test_stray_quote_in_the_header_is_kept_as_text() -> None:
    data = b'a,b,"c\n1,"x, y",z\n2,"u, v",w\n3,"s, t",r\n4,"p, q",o\n'

    result = read_table(data, filename="t.csv", infer_types=False)

    assert list(result.frame.columns) == ["a", "b", '"c']
    assert result.frame["b"].tolist() == ["x, y", "u, v", "s, t", "p, q"]
    assert result.frame['"c'].tolist() == ["z", "w", "r", "o"]
    assert [p.line for p in result.report.problems] == [1]


def test_quoted_fields_are_not_split_to_reach_the_header_width() -> None:
    # The short row is padded; its well-quoted "p, q" stays one cell.
    data = b'a,b,c,d\n1,"x, y",y,z\n2,"p, q",r\n3,"s, t",t,u\n4,"k, l",m,n\n'

    frame = _text(data)

    assert frame.iloc[1].tolist() == ["2", "p, q", "r", ""]


def test_overrides_delimiter_quote_header_and_skip() -> None:
    data = b"junk line\nx;y\n'1;2';3\n'4';5\n"

    frame = _text(data, delimiter=";", quotechar="'", skip_rows=1, header_row=0)
    no_header = _text(b"x;y\n1;2\n", delimiter=";", header_row=-1)

    assert frame.to_dict("list") == {"x": ["1;2", "4"], "y": ["3", "5"]}
    assert no_header["column_1"].tolist() == ["x", "1"]


def test_bad_options_say_what_is_allowed() -> None:
    with pytest.raises(IngestError, match="ragged='keep' is not an option"):
        read_table(b"a\n1\n", ragged="keep")  # type: ignore[arg-type]
    with pytest.raises(IngestError, match="delimiter must be one character"):
        read_table(b"a\n1\n", delimiter=";;")


def test_gzip_and_zip_containers() -> None:
    packed = gzip.compress(ROWS.encode())
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as writer:
        writer.writestr("a.csv", ROWS)
        writer.writestr("b.csv", "q\n1\n")

    assert read_table(packed, filename="s.csv.gz").frame["amount"].sum() == 100
    picked = read_table(archive.getvalue(), filename="s.zip", member="b.csv")
    assert picked.frame["q"].tolist() == [1]
    with pytest.raises(IngestError, match=r"holds 2 files: a.csv, b.csv. Choose one"):
        read_table(archive.getvalue(), filename="s.zip")


def test_zip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from nbdash.ingest import containers

    monkeypatch.setattr(containers, "RATIO_FREE_BYTES", 1024 * 1024)
    bomb = gzip.compress(b"a\n" + b"0" * (64 * 1024 * 1024))

    with pytest.raises(
        IngestError, match=r"'big.csv.gz' expands to more than .*zip bomb"
    ):
        read_table(bomb, filename="big.csv.gz")


def test_excel_sheets_listed_chosen_and_empty(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"a": [1, 2]}).to_excel(writer, sheet_name="Jan", index=False)
        pd.DataFrame({"a": [3]}).to_excel(writer, sheet_name="Feb", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Empty", index=False)

    assert list_sheets(book) == ["Jan", "Feb", "Empty"]
    assert read_table(book, sheet=1).frame["a"].tolist() == [3]
    assert read_table(book, sheet="Jan").frame["a"].tolist() == [1, 2]
    with pytest.raises(
        IngestError, match=r"Sheet 'Empty' of 'book\.xlsx' holds no data"
    ):
        read_table(book, sheet="Empty")


def test_json_shapes_are_flattened() -> None:
    nested = [
        {"id": 1, "address": {"city": "Paris"}},
        {"id": 2, "address": {"city": "Lyon"}},
    ]
    columns = {"id": [1, 2], "city": ["Paris", "Lyon"]}
    wrapped = {"data": nested}

    frame = read_table(json.dumps(nested).encode(), filename="n.json").frame
    assert frame.to_dict("list") == {"id": [1, 2], "address.city": ["Paris", "Lyon"]}
    by_columns = read_table(json.dumps(columns).encode(), filename="c.json").frame
    assert by_columns["city"].tolist() == ["Paris", "Lyon"]
    inner = read_table(json.dumps(wrapped).encode(), filename="w.json").frame
    assert inner["address.city"].tolist() == ["Paris", "Lyon"]


def test_bad_json_and_ndjson_name_the_line() -> None:
    with pytest.raises(IngestError, match=r"'r.ndjson' line 2 is not a JSON object"):
        read_table(b'{"a": 1}\n{"a": \n', filename="r.ndjson")
    with pytest.raises(IngestError, match=r"'r.json' line 3 is not valid JSON"):
        read_table(b'[\n{"a": 1},\n{"a" 2}\n]', filename="r.json")


def test_binary_junk_and_empty_file() -> None:
    with pytest.raises(IngestError, match=r"'j.csv' is not a text table"):
        read_table(bytes(range(256)) * 40, filename="j.csv")
    with pytest.raises(IngestError, match=r"'e.csv' is empty"):
        read_table(b"", filename="e.csv")


def test_encoding_change_half_way_names_the_line() -> None:
    legacy = ("name\n" + "Zoë\n" * 50).encode("cp1252")
    utf8_after = legacy + "Zoë\n".encode()
    # Past the 256 KiB the encoding is guessed from, so UTF-8 is chosen first.
    utf8_head = ("name\n" + "é\n" * 140_000).encode()
    utf8_then_legacy = utf8_head + "Zoë\n".encode("cp1252")

    with pytest.raises(IngestError, match=r"changes encoding at line 52"):
        read_table(utf8_after, filename="m.csv")
    with pytest.raises(
        IngestError, match=r"'m.csv' line 140002 has bytes .* not valid utf-8"
    ):
        read_table(utf8_then_legacy, filename="m.csv")


def test_very_long_line_is_refused_without_loading_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(records_module, "MAX_LINE_CHARS", 1024 * 1024)
    path = tmp_path / "line.csv"
    with path.open("wb") as handle:
        handle.write(b"a,b\n1,2\n")
        for _ in range(64):
            handle.write(b"x" * (1024 * 1024))

    with pytest.raises(
        IngestError, match=r"'line.csv' line 3 is longer than 1,048,576"
    ):
        read_table(path)


# Legacy code pages as real exports write them: each must be decoded exactly -------

LEGACY_TEXTS = {
    "french": (
        "cp1252",
        "nom;ville;prix\nFrançois Lefèvre;Besançon;12,50 €\n"
        "Hélène Dubois;Orléans;7,30 €\nJérôme Garçon;Nîmes;3,99 €\n",
    ),
    "german": (
        "cp1252",
        "Name;Straße;Betrag €\nJürgen Müller;Hauptstraße 5;12,50\n"
        "Bärbel Schäfer;Größenweg 2;7,30\nÖzil Übel;Fußweg 9;3,99\n",
    ),
    "german shop": (
        "cp1252",
        "Bestellnr;Datum;Kunde;Région;Betrag €;Menge\n"
        + "".join(
            f"{1000 + i};0{i % 9 + 1}.03.2024;Müller & Søn {i};Süd;{i},5;{i}\n"
            for i in range(40)
        ),
    ),
    "spanish": (
        "cp1252",
        "nombre,ciudad,año\nJosé Muñoz,Logroño,2023\nMaría Ibáñez,Córdoba,2021\n"
        "Ángel Núñez,Cádiz,2020\n",
    ),
    "polish": (
        "cp1250",
        "imię;miasto;kwota\nŁukasz Wójcik;Łódź;12,50\nMałgorzata Żółć;Kraków;7,30\n"
        "Grzegorz Bąk;Gdańsk;3,99\nŚwiętosław Źrebię;Poznań;1,00\n",
    ),
    "russian": (
        "cp1251",
        # Cyrillic letters that look Latin are the point here.
        "имя;город;сумма\nИван Петров;Москва;12,50\n"  # noqa: RUF001
        "Мария Смирнова;Санкт-Петербург;7,30\n"
        "Алексей Кузнецов;Новосибирск;3,99\nОльга Попова;Екатеринбург;1,00\n",  # noqa: RUF001
    ),
}


@pytest.mark.parametrize("language", sorted(LEGACY_TEXTS))
def test_legacy_code_pages_are_decoded_exactly(language: str) -> None:
    encoding, text = LEGACY_TEXTS[language]
    result = read_table(text.encode(encoding), filename="t.csv", infer_types=False)

    lines = text.splitlines()
    delimiter = ";" if ";" in lines[0] else ","
    assert list(result.frame.columns) == lines[0].split(delimiter)
    assert result.frame.iloc[0].tolist() == lines[1].split(delimiter)
    assert result.frame.iloc[-1].tolist() == lines[-1].split(delimiter)
    assert result.report.encoding == encoding


def test_guessed_encoding_is_reported_as_a_guess() -> None:
    encoding, text = LEGACY_TEXTS["german shop"]
    report = read_table(text.encode(encoding), filename="shop.csv").report

    assert report.encoding == "cp1252"
    assert report.encoding_guess is not None
    assert report.encoding_guess.startswith("guessed: no BOM, not UTF-8")
    assert "encoding: cp1252 (guessed: no BOM, not UTF-8" in report.summary()
    assert report.to_dict()["encoding_guess"] == report.encoding_guess


def test_utf8_and_given_encodings_are_not_called_guesses() -> None:
    text = "name\nJosé\n"
    utf8 = read_table(text.encode("utf-8"), filename="t.csv").report
    given = read_table(text.encode("cp1252"), filename="t.csv", encoding="cp1252")

    assert (utf8.encoding, utf8.encoding_guess) == ("utf-8", None)
    assert (given.report.encoding, given.report.encoding_guess) == ("cp1252", None)
    assert "guessed" not in utf8.summary() + given.report.summary()
    assert "1 column (" in utf8.summary()
