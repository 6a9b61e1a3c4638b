"""The typed path (msgspec, shared/events/typed_measures.py) against the orjson + contract path it
stands in front of: it accepts only what that path accepts, with the same envelope and payload."""

import json
import math
from pathlib import Path
from types import SimpleNamespace

import msgspec
import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.consumer import ConsumerRunner
from shared.events import new_event
from shared.events.contracts import MEASURE_CONTRACT, ContractReader, compile_contract, decode
from shared.events.typed_measures import MeasureRecordedData, MeasureRecordedEvent, _payload

CONTRACT = json.loads(Path(MEASURE_CONTRACT).read_text())
SCHEMAS = CONTRACT["components"]["schemas"]
EXAMPLE = CONTRACT["components"]["messages"]["measureRecorded"]["examples"][0]["payload"]
READER = ContractReader.for_measures()
ENVELOPE_FIELDS = set(SCHEMAS["MeasureRecordedEnvelope"]["properties"])
DATA_FIELDS = set(SCHEMAS["MeasureRecordedV1"]["properties"])


def read_the_orjson_way(raw):
    """What the consumer made of the bytes before the typed path: orjson, then the reader of its type."""
    body = decode(raw)
    if not isinstance(body, dict) or body.get("type") != READER.event_type:
        return None
    return READER.read(body, raw)


def exactly(read):
    """The read with every value's type and sign (4 is not 4.0, -0.0 is not 0.0), keys in any order."""
    if read is None:
        return None
    envelope, payload = read
    exact = (repr(envelope._replace(data={})), sorted(map(repr, envelope.data.items())))
    return exact, sorted(map(repr, payload.items()))


def left_to_the_orjson_way(raw):
    """A good message the typed path leaves to the other, as typed_measures' docstring says: an
    envelope attribute the contract does not name, an integer orjson reads as a float, or a name
    sent twice in an object."""
    twice = []
    body = json.loads(raw, object_pairs_hook=lambda pairs: twice.append(len(pairs) > len(dict(pairs))) or dict(pairs))
    numbers = (body["data"].get(name) for name in ("value", "numerator", "denominator"))
    wide = any(type(n) is int and not -(2**63) <= n < 2**64 for n in numbers)  # json.loads keeps them integers
    return bool(set(body) - ENVELOPE_FIELDS) or wide or any(twice)


def assert_the_paths_agree(raw):
    typed, orjson_way = READER.read_raw(raw), read_the_orjson_way(raw)
    if typed is not None:
        assert exactly(typed) == exactly(orjson_way), "the typed path accepted it differently, or alone"
    elif orjson_way is not None:
        assert left_to_the_orjson_way(raw), "the typed path refused a good message it should read"


def with_data(**change):
    return {**EXAMPLE, "data": {**EXAMPLE["data"], **change}}


def without(body, name):
    return {key: value for key, value in body.items() if key != name}


def bench_event(value=4.6):
    return new_event("measure.recorded", {"kpi_code": "ALOS", "unit_code": "WARD-7", "period": "2026-09",
                                          "value": value, "source": "bench"}, source="urn:bench").to_json()


GOOD = [
    EXAMPLE,
    with_data(value=4),
    with_data(value=-0.0, numerator=23, denominator=5.0, recorded_by="feed.pas", note="n"),
    with_data(numerator=None, denominator=None, recorded_by=None, note=None),
    with_data(numerator=1, denominator=-1e-300, note="é😀" * 1000, recorded_by=""),
    with_data(kpi_code="A" * 64, unit_code="0._-", period="1900-01", value=18446744073709551615),
    with_data(source="s" * 200, value=-9223372036854775808),
    {**EXAMPLE, "time": "2024-02-29t23:59:59.123456789+05:30", "correlationid": "", "subject": ""},
    {**EXAMPLE, "time": "2026-10-03T06:00:00-0100"},
    without(without(EXAMPLE, "subject"), "datacontenttype"),
]


@pytest.mark.parametrize("body", GOOD)
def test_the_typed_path_reads_a_good_measure_exactly_as_the_orjson_way(body):
    for raw in (json.dumps(body).encode(), json.dumps(body, ensure_ascii=False, indent=2).encode(),
                orjson.dumps(body)):
        assert READER.read_raw(raw) is not None
        assert exactly(READER.read_raw(raw)) == exactly(read_the_orjson_way(raw))


def test_the_typed_path_reads_the_events_of_a_backfill():
    raw = bench_event()
    assert exactly(READER.read_raw(raw)) == exactly(read_the_orjson_way(raw)) != None  # noqa: E711


RAW = json.dumps(EXAMPLE).encode()
TRICKY = [
    *(json.dumps(body).encode() for body in (
        with_data(period="2026-13"), with_data(period="2026-09\n"), with_data(period="1899-12"),
        with_data(period="3000-01"), with_data(period="２０２６-09"), with_data(value="4.6"), with_data(value=True),
        with_data(value=None), with_data(value=[4.6]), with_data(kpi_code=""), with_data(kpi_code="ALOS\n"),
        with_data(kpi_code="has spaces"), with_data(kpi_code="A" * 65), with_data(kpi_code="_ALOS"),
        with_data(kpi_code="ÄLOS"), with_data(unit_code="WARD-7\n"), with_data(source=""), with_data(source="s" * 201),
        with_data(source="😀" * 201), with_data(source="pas\u0000"), with_data(note="n" * 2001),
        with_data(recorded_by="r" * 201), with_data(recorded_by=5), with_data(unexpected=1), with_data(numerator=1),
        with_data(numerator=True, denominator=2), with_data(numerator=2, denominator=True), with_data(note=False),
        with_data(denominator=1), with_data(numerator=None, denominator=2), with_data(numerator=1, denominator=0),
        with_data(numerator=1, denominator=-0.0), with_data(numerator=1, denominator=0.0),
        without(EXAMPLE, "id"), without(EXAMPLE, "time"), without(EXAMPLE, "dataschema"),
        without(EXAMPLE, "specversion"), without(EXAMPLE, "data"),
        {**EXAMPLE, "data": without(EXAMPLE["data"], "source")},
        {**EXAMPLE, "id": ""}, {**EXAMPLE, "source": ""}, {**EXAMPLE, "id": 5}, {**EXAMPLE, "specversion": "0.3"},
        {**EXAMPLE, "specversion": 1.0}, {**EXAMPLE, "type": "measure.changed"}, {**EXAMPLE, "subject": None},
        {**EXAMPLE, "correlationid": None}, {**EXAMPLE, "correlationid": 1},
        {**EXAMPLE, "datacontenttype": "text/plain"}, {**EXAMPLE, "dataschema": "urn:wtgr:event:measure.recorded:2"},
        {**EXAMPLE, "time": "yesterday"}, {**EXAMPLE, "time": "2026-10-03"}, {**EXAMPLE, "time": "2026-10-03T06:00Z"},
        {**EXAMPLE, "time": "2026-10-03T06:00:00"}, {**EXAMPLE, "time": "2026-10-03 06:00:00Z"},
        {**EXAMPLE, "time": "2026-02-29T06:00:00Z"}, {**EXAMPLE, "time": "2026-10-03T24:00:00Z"},
        {**EXAMPLE, "time": "2026-10-03T23:59:60Z"}, {**EXAMPLE, "time": "0000-01-01T00:00:00Z"},
        {**EXAMPLE, "time": "2026-10-03T06:00:00+24:00"}, {**EXAMPLE, "time": "2026-10-03T06:00:00Z\n"},
        {**EXAMPLE, "time": "２０２６-10-03T06:00:00Z"}, {**EXAMPLE, "time": "20261003T060000Z"},
        {**EXAMPLE, "data": "not an object"}, {**EXAMPLE, "data": None}, {**EXAMPLE, "source": "urn:\ud800"},
        {**EXAMPLE, "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        [EXAMPLE], "measure", None)),
    RAW.replace(b"4.6", b"NaN"), RAW.replace(b"4.6", b"Infinity"), RAW.replace(b"4.6", b"1e400"),
    RAW.replace(b"4.6", b"-1e400"), RAW.replace(b"4.6", b"1e-400"), RAW.replace(b"4.6", b"4.60"),
    RAW.replace(b"4.6", b"1E2"), RAW.replace(b"4.6", b"-0"), RAW.replace(b"4.6", b"04.6"),
    RAW.replace(b"4.6", b"18446744073709551616"), RAW.replace(b"4.6", b"-9223372036854775809"),
    RAW.replace(b"4.6", b"123456789012345678901234567890"),
    RAW.replace(b"4.6", b"4.6, \"value\": \"x\""), RAW.replace(b"4.6", b"\"x\", \"value\": 4.6"),
    RAW.replace(b"\"kpi_code\"", b"\"kpi\\u005fcode\""), RAW.replace(b"\"id\"", b"\"id\": \"\", \"id\""),
    RAW.replace(b"pas-nightly-extract", b"\\ud800"), RAW.replace(b"pas-nightly-extract", b"\\udc00\\ud800"),
    RAW.replace(b"pas-nightly-extract", b"\\ud83d\\ude00"), RAW.replace(b"pas-nightly-extract", b"\xed\xa0\x80"),
    RAW.replace(b"pas-nightly-extract", b"\xff"), RAW.replace(b"pas-nightly-extract", b"a\\u0000"),
    RAW.replace(b"pas-nightly-extract", b"a\\\\u0000"), RAW.replace(b"pas-nightly-extract", b"a\x00"),
    RAW.replace(b"pas-nightly-extract", b"tab\\there"), RAW.replace(b"pas-nightly-extract", b"tab\there"),
    RAW.replace(b"urn:wtgr:feed:pas", b"urn:\\u0000"), b"\xef\xbb\xbf" + RAW, RAW + b"\n", RAW + b"x", RAW[:-1],
    RAW[:-1] + b",}", b"not json", b"", b"[1, 2]", b"{}",
]


@pytest.mark.parametrize("raw", TRICKY)
def test_the_paths_agree_on_a_tricky_message(raw):
    assert_the_paths_agree(raw)


def test_what_the_typed_path_leaves_is_a_good_message_it_need_not_read():
    extension, wide = {**EXAMPLE, "traceparent": "00-0af7"}, RAW.replace(b"4.6", b"18446744073709551616")
    for raw in (json.dumps(extension).encode(), wide, RAW.replace(b"4.6", b"\"x\", \"value\": 4.6")):
        assert READER.read_raw(raw) is None and read_the_orjson_way(raw) is not None


identifiers = st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,66}\n?", fullmatch=True),
                        st.sampled_from(["", "ALOS", "A" * 64, "A" * 65, "-x", "x y", "x|y"]))
months = st.from_regex(r"[0-9１２]{4}-[0-9]{1,2}\n?", fullmatch=True)
stamps = st.builds(
    "{}-{:02d}-{:02d}{}{:02d}:{:02d}{}{}{}".format, st.sampled_from(["2026", "2024", "1900", "2000", "0000", "9999"]),
    st.integers(0, 13), st.integers(0, 32), st.sampled_from(["T", "t", " ", "_"]), st.integers(0, 25),
    st.integers(0, 61), st.sampled_from([":00", ":60", ":59.5", ":07.123456789", ""]),
    st.sampled_from(["Z", "z", "+00:00", "-05:30", "+2400", "+23:59", "+24:00", "", "+1", "Z\n"]),
    st.sampled_from(["", "", "", " ", "x"]))
texts = st.one_of(st.text(), st.text(st.characters(codec="utf-8")), st.text(st.characters(exclude_categories=())),
                  st.builds(str.__mul__, st.sampled_from(["n", "é", "😀"]), st.integers(0, 2010)))
numbers = st.one_of(st.integers(), st.integers(-(2**64), 2**65), st.floats(), st.floats(allow_nan=False),
                    st.just(0), st.just(-0.0))
number_likes = st.one_of(numbers, numbers, st.booleans(), st.none(), st.sampled_from(["4.6", "1", ""]))
values = st.one_of(texts, numbers, identifiers, months, stamps, st.none(), st.booleans(),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                   st.sampled_from(["1.0", "measure.recorded", "application/json", "urn:wtgr:event:measure.recorded:1",
                                    "4.6", "NaN"]))
FOR_FIELD = {"kpi_code": identifiers, "unit_code": identifiers, "period": months, "time": stamps,
             "value": number_likes, "numerator": number_likes, "denominator": number_likes, "note": texts,
             "recorded_by": texts, "source": texts}


@st.composite
def mutated_bodies(draw):
    """The contract's example with a few changes: fields replaced by a likely or any value, removed or added."""
    body, data = dict(EXAMPLE), dict(EXAMPLE["data"])
    if draw(st.booleans()):
        data.update(numerator=draw(number_likes), denominator=draw(number_likes))
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from([body, data]))
        name = draw(st.sampled_from(sorted(DATA_FIELDS if target is data else ENVELOPE_FIELDS - {"data"}) + ["x"]))
        change = draw(st.sampled_from(["likely", "likely", "any", "remove"]))
        if change == "remove":
            target.pop(name, None)
        else:
            target[name] = draw(FOR_FIELD.get(name, values) if change == "likely" else values)
    return {**body, "data": data}


def serialised(body, how):
    """The body's bytes as a producer might write them; a lone surrogate written raw is not UTF-8."""
    if how == "orjson":
        try:
            return orjson.dumps(body)
        except TypeError:  # a lone surrogate or an integer beyond 64 bits: orjson will not write it
            how = "ascii"
    if how == "ascii":
        return json.dumps(body).encode()
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")


@settings(max_examples=1500)
@given(mutated_bodies(), st.sampled_from(["ascii", "utf-8", "orjson"]))
@example(with_data(kpi_code="ALOS\n"), "ascii")
@example(with_data(numerator=1, denominator=0), "ascii")
def test_the_paths_agree_on_a_mutated_example(body, how):
    assert_the_paths_agree(serialised(body, how))


@settings(max_examples=300)
@given(st.sampled_from([b"4.6", b"WARD-7", b"2026-09", b"\"id\"", b"2026-10-03T06:00:00Z", b",", b"{", b"\"data\""]),
       st.one_of(st.binary(max_size=6), st.sampled_from([b"\\u0000", b"\\ud800", b"1e999", b"-0", b"\"", b"\\\"",
                                                         b"null", b"true", b"\xc3", b"\n", b"[]"])))
def test_the_paths_agree_on_bytes_changed_in_place(old, new):
    assert_the_paths_agree(RAW.replace(old, new, 1))


def test_the_consumer_makes_of_a_message_what_it_made_without_the_typed_path():
    before = ConsumerRunner("metrics", None, None, None, "dl", {"measure.recorded": lambda *_: None})
    before.contracts = {"measure.recorded": ContractReader(
        "measure.recorded", compile_contract(MEASURE_CONTRACT, "MeasureRecordedEnvelope"))}
    now = ConsumerRunner("metrics", None, None, None, "dl", {"measure.recorded": lambda *_: None})
    for raw in [*TRICKY, *(json.dumps(body).encode() for body in GOOD), bench_event(),
                json.dumps(new_event("idea.submitted", {}, source="urn:x").to_dict()).encode()]:
        message = SimpleNamespace(value=raw)
        was, became = before.parse(message), now.parse(message)
        if isinstance(was[1], dict):
            assert exactly(became) == exactly(was)
        else:  # skipped or dead-lettered, for the same reason, with the same envelope (if any)
            assert (repr(became[0]), became[1]) == (repr(was[0]), was[1])


def test_the_structs_say_what_the_contract_says():
    for struct, schema in ((MeasureRecordedEvent, SCHEMAS["MeasureRecordedEnvelope"]),
                           (MeasureRecordedData, SCHEMAS["MeasureRecordedV1"])):
        info = msgspec.inspect.type_info(struct)
        assert info.forbid_unknown_fields
        fields = {field.encode_name: field for field in info.fields}
        assert set(fields) == set(schema["properties"])
        assert {name for name, field in fields.items() if field.required} == set(schema["required"])
        for name, rule in schema["properties"].items():
            assert described(fields[name].type) == described_by_contract(rule), name


def described(type_info):
    """What a msgspec type accepts, in the contract's words (a set of (what, constraints))."""
    kinds = type_info.types if isinstance(type_info, msgspec.inspect.UnionType) else (type_info,)
    said = set()
    for kind in kinds:
        if isinstance(kind, msgspec.inspect.StrType):
            said.add(("string", kind.pattern, kind.min_length or None, kind.max_length))
        elif isinstance(kind, msgspec.inspect.LiteralType):
            said.add(("const", *kind.values))
        elif isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
            said.add(("number",))
        elif isinstance(kind, msgspec.inspect.NoneType):
            said.add(("null",))
        elif isinstance(kind, msgspec.inspect.StructType):
            said.add(("object",))
        else:
            said.add((type(kind).__name__,))
    return said


def described_by_contract(rule):
    if "const" in rule:
        return {("const", rule["const"])}
    if "$ref" in rule:
        return {("object",)}
    if rule.get("format") == "date-time":  # checked after decoding, by the contract's own compiled rule
        return {("string", None, None, None)}
    pattern = rule.get("pattern") and rule["pattern"].replace("$", r"\Z")  # as fastjsonschema reads it
    kinds = rule["type"] if isinstance(rule["type"], list) else [rule["type"]]
    return {("string", pattern, rule.get("minLength"), rule.get("maxLength")) if kind == "string" else (kind,)
            for kind in kinds}


def test_numbers_the_typed_path_reads_are_finite():
    for raw in (RAW.replace(b"4.6", b"1.7976931348623157e308"), RAW.replace(b"4.6", b"-1.7976931348623157e308")):
        envelope, payload = READER.read_raw(raw)
        assert math.isfinite(payload["value"]) and exactly((envelope, payload)) == exactly(read_the_orjson_way(raw))


def test_a_number_that_is_not_finite_is_never_read_the_typed_way():
    """msgspec refuses a number out of range (and JSON has no NaN); the check after decoding holds anyway."""
    decoded = msgspec.json.decode(RAW, type=MeasureRecordedEvent)
    for number in (math.inf, -math.inf, math.nan):
        assert _payload(msgspec.structs.replace(decoded.data, value=number)) is None
        assert _payload(msgspec.structs.replace(decoded.data, numerator=1, denominator=number)) is None
    assert _payload(decoded.data) is not None
