"""Importing the maker directory from CSV: good rows in, bad rows reported by line, nothing half-written."""

from __future__ import annotations

import pytest

from bot.services import makers as maker_service
from bot.services.makers import ImportFileError, import_makers, list_makers, read_makers_csv
from tests.conftest import demo_csv

HEADER = "name,phone,zip,capabilities,min_order,max_order,lead_time_days,website,notes,language\n"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode("utf-8")


BAD_ROWS = [
    (",(313) 555-0100,48201,face shields,,,,,,", "no name"),
    ("Shop,,48201,face shields,,,,,,", "no phone number"),
    ("Shop,555-1234,48201,face shields,,,,,,", "“555-1234” is not a valid phone number"),
    ("Shop,(313) 555-0100,,face shields,,,,,,", "no ZIP code"),
    ("Shop,(313) 555-0100,99999,face shields,,,,,,", "“99999” is not a known US ZIP code"),
    ("Shop,(313) 555-0100,4820,face shields,,,,,,", "“4820” is not a known US ZIP code"),
    ("Shop,(313) 555-0100,48201,,,,,,,", "no capabilities"),
    ("Shop,(313) 555-0100,48201, ; ;,,,,,,", "no capabilities"),
    ("Shop,(313) 555-0100,48201,gowns,ten,,,,,", "min_order “ten” is not a whole number"),
    ("Shop,(313) 555-0100,48201,gowns,-5,,,,,", "min_order “-5” is not a whole number"),
    ("Shop,(313) 555-0100,48201,gowns,500,100,,,,", "min_order 500 is larger than max_order 100"),
    ("Shop,(313) 555-0100,48201,gowns,,,,not a site,,", "website “not a site” is not a web address"),
    ("Shop,(313) 555-0100,48201,gowns,,,,,,english!", "language “english!” is not a language code"),
    ("Shop,(313) 555-0100,48201,gowns,,,,,,en,extra", "11 values, but the header names only 10 columns"),
    ("Shop,(313) 555-0100,48201," + "x" * 250 + ",,,,,,", "longer than 200 characters"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_bad_row_is_reported_by_line_and_skipped(row, reason):
    good = "Good Shop,(313) 555-0199,48201,face shields,,,,,,"
    rows, problems, _ = read_makers_csv(csv_bytes(good, row))
    assert [r.name for r in rows] == ["Good Shop"]
    assert [p.line for p in problems] == [3]
    assert any(reason in p.reason for p in problems), problems


def test_duplicate_phone_in_file_keeps_the_first():
    rows, problems, _ = read_makers_csv(
        csv_bytes("First,(313) 555-0100,48201,gowns,,,,,,", "Second,313.555.0100,48202,masks,,,,,,")
    )
    assert [r.name for r in rows] == ["First"]
    assert [(p.line, p.reason) for p in problems] == [(3, "the same phone number as line 2")]


def test_line_numbers_count_multiline_quoted_fields():
    data = csv_bytes('Shop,(313) 555-0100,48201,"gowns;\nmasks",,,,,"two\nlines",', "Bad,,48201,gowns,,,,,,")
    rows, problems, _ = read_makers_csv(data)
    assert rows[0].capabilities == ("gowns", "masks")
    assert [p.line for p in problems] == [5]  # the first record spans lines 2-4


def test_normalisation():
    rows, problems, _ = read_makers_csv(
        csv_bytes(
            "  Maker   Works ,734-555-0115, 48103-1234 ,face shields; Face Shields;laser cutting ;,"
            '"1,000","7,500",5,maker-works.com,,EN'
        )
    )
    assert problems == []
    row = rows[0]
    assert (row.name, row.phone, row.place.zip) == ("Maker Works", "+17345550115", "48103")
    assert row.capabilities == ("face shields", "laser cutting")
    assert row.optional["max_order"] == 7500 and row.optional["lead_time_days"] == 5
    assert row.optional["language"] == "en"


def test_bom_tab_separated_and_header_spelling():
    data = "\ufeffName\tPhone\tZIP\tCapabilities\n".encode() + b"Shop\t(313) 555-0100\t48201\tgowns\n"
    rows, problems, ignored = read_makers_csv(data)
    assert [r.name for r in rows] == ["Shop"] and problems == [] and ignored == []


def test_unknown_columns_are_ignored_and_named():
    _rows, _, ignored = read_makers_csv(b"name,phone,zip,capabilities,Fax\nShop,(313) 555-0100,48201,gowns,123\n")
    assert ignored == ["Fax"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a CSV file"),
        ("name,phone,zip,capabilities\nCaf\xe9,1,2,3\n".encode("latin-1"), "is not UTF-8 text"),
        (b"hello world\nthis is not a maker list\n", "missing: name, phone, zip, capabilities"),
        (b"name,phone\nShop,313\n", "missing: zip, capabilities"),
        (b"%PDF-1.4 binary\x00stuff", "is not a CSV file"),
    ],
)
def test_a_file_that_is_not_a_maker_csv_gets_one_clear_error(data, message):
    with pytest.raises(ImportFileError) as caught:
        read_makers_csv(data, "makers.csv")
    assert message in str(caught.value) and str(caught.value).startswith("makers.csv")


def test_import_then_reimport_updates_by_phone(sqlite_db):
    first = import_makers(
        sqlite_db, csv_bytes("Shop,(313) 555-0100,48201,gowns,,,,,,", "Other,(313) 555-0101,48202,masks,,,,,,")
    )
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = import_makers(
        sqlite_db,
        csv_bytes(
            "Shop Renamed,313-555-0100,48126,gowns; face shields,,,,,,", "Other,(313) 555-0101,48202,masks,,,,,,"
        ),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    views = {v.maker.phone: v for v in list_makers(sqlite_db)}
    shop = views["+13135550100"]
    assert shop.maker.name == "Shop Renamed" and shop.maker.zip == "48126"
    assert [c.phrase for c in shop.capabilities] == ["gowns", "face shields"]
    assert [c.concepts for c in shop.capabilities] == ["gown", "face_shield"]
    assert shop.maker.timezone == "America/Detroit" and shop.maker.lat is not None


def test_reimport_keeps_what_the_file_does_not_say(sqlite_db):
    import_makers(sqlite_db, csv_bytes("Shop,(313) 555-0100,48201,gowns,,5000,,,,"))
    import_makers(sqlite_db, b"name,phone,zip,capabilities\nShop,(313) 555-0100,48201,gowns\n")
    assert list_makers(sqlite_db)[0].maker.max_order == 5000


def test_bad_rows_do_not_stop_good_ones(sqlite_db):
    report = import_makers(sqlite_db, csv_bytes("Bad,,48201,gowns,,,,,,", "Good,(313) 555-0100,48201,gowns,,,,,,"))
    assert report.created == 1 and [p.line for p in report.skipped] == [2]
    assert [v.maker.name for v in list_makers(sqlite_db)] == ["Good"]


def test_the_demo_directory_imports_cleanly(sqlite_db):
    report = import_makers(sqlite_db, demo_csv(), "demo")
    assert report.skipped == [] and report.created >= 60
    views = list_makers(sqlite_db)
    assert all(v.maker.phone.startswith("+1") and "555" in v.maker.phone for v in views)
    detroit = [v for v in views if v.maker.zip.startswith("48")]
    assert len(detroit) >= 18
    assert maker_service.count_makers(sqlite_db) == report.created


def test_one_unclosed_quote_does_not_hide_the_rows_after_it():
    good = [f"Shop {i},(313) 555-{i:04d},48201,gowns" for i in range(1000, 1100)]
    data = csv_bytes('"Broken Shop,(313) 666-0002,48201,gowns', *good, header="name,phone,zip,capabilities\n")
    rows, problems, _ = read_makers_csv(data)
    assert len(rows) == 100
    assert [(p.line, p.reason) for p in problems] == [
        (2, "a quote opened on this line is never closed; the line was skipped")
    ]


def test_a_name_running_over_lines_is_a_missing_quote():
    data = b'name,phone,zip,capabilities\n"Bad 0,(313) 666-0000,48201,gowns\n"Bad 1",(313) 666-0001,48201,gowns\n'
    rows, problems, _ = read_makers_csv(data)
    assert rows == [] and "runs over several lines" in problems[0].reason


def test_binary_data_late_in_the_file_is_a_bad_row_not_a_crash():
    good = [f"Shop {i},(313) 555-{i:04d},48201,gowns" for i in range(1000, 4000)]  # more than the 64 KiB sniffed
    data = csv_bytes(*good, "Bad\x00Name,(313) 666-0102,48201,gowns", header="name,phone,zip,capabilities\n")
    rows, problems, _ = read_makers_csv(data)
    assert len(rows) == 3000
    assert [p.reason for p in problems] == ["contains binary data (a NUL character)"]


def test_numbers_beyond_the_columns_are_refused():
    data = b"name,phone,zip,min_order,capabilities\nShop,(313) 555-0100,48201,99999999999,gowns\n"
    rows, problems, _ = read_makers_csv(data)
    assert rows == [] and "from 0 to 1,000,000,000" in problems[0].reason


def test_a_huge_note_is_reported_not_fatal():
    note = "x" * 200_000
    data = (
        f"name,phone,zip,notes,capabilities\nShop,(313) 555-0100,48201,{note},gowns\n"
        "Shop2,(313) 555-0101,48201,,masks\n"
    )
    rows, problems, _ = read_makers_csv(data.encode())
    assert [r.name for r in rows] == ["Shop2"] and "longer than 2000" in problems[0].reason


def test_zip_codes_that_lost_their_leading_zero():
    rows, problems, _ = read_makers_csv(b"name,phone,zip,capabilities\nShop,(617) 555-0100,2134,gowns\n")
    assert rows[0].place.zip == "02134" and problems == []


def test_import_into_postgres_survives_what_postgres_refuses(postgres_db):
    good = [f"Shop {i},(313) 555-{i:04d},48201,gowns" for i in range(1000, 4000)]
    bad = ["Bad\x00Name,(313) 666-0102,48201,gowns", "Big,(313) 666-0103,48201,gowns,99999999999"]
    data = csv_bytes(*good, *bad, header="name,phone,zip,capabilities,min_order\n")
    report = import_makers(postgres_db, data)
    assert report.created == 3000 and len(report.skipped) == 2
