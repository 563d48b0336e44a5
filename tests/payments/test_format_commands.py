"""``ratepayer ach check|show`` and ``ratepayer bai2 show`` (issue 5 operator contract).

The shared sample files are read from ``<repo root>/../shared/reference``; where that
folder is not beside the checkout (a contributor's clone), the tests that read them skip
with the reason (tests/formats/conftest.py); the commands' own behaviour is tested anyway.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.formats.conftest import needs_samples, reference_dir

REPO = Path(__file__).resolve().parents[2]
ACH = reference_dir("ach")
BAI = reference_dir("bai2")

# Our judgments, as in tests/formats/test_nacha.py (README exceptions explained there:
# 20110805A's File Control batch count is wrong; the custom R97 code needs permission).
ACH_VALID = {
    "ppd-debit.ach",
    "ppd-credit.ach",
    "ppd-mixedDebitCredit.ach",
    "same-day-ach-ppd-credit.ach",
    "web-debit.ach",
    "web-credit.ach",
    "ccd-debit.ach",
    "arc-debit.ach",
    "two-micro-deposits.ach",
    "ppd-debit-fixedLength.ach",
    "return-WEB.ach",
    "dishonored-return.ach",
    "contested-return.ach",
    "cor-example.ach",
    "iat-debit.ach",
    "edge-short-line.ach",
    "edge-long-line.ach",
}
ACH_INVALID = {
    "invalid-ppd-debit-entryDetail-checkDigit.ach",
    "invalid-ppd-mixedDebitCredit.ach",
    "invalid-20110729A.ach",
    "invalid-two-micro-deposits.ach",
    "invalid-pos-returnCode.ach",
    "invalid-web-NOC-changeCode.ach",
    "invalid-ppd-debit-fixedLength.ach",
    "invalid-record-after-file-control.ach",
    "invalid-batch-header-before-file-header.ach",
    "edge-return-no-batch-controls.ach",
    "20110805A.ach",
    "return-PPD-custom-reason-code.ach",
}
PROBLEM = re.compile(r"^line \d+: [^:]+: .+$")


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@needs_samples
def test_every_ach_sample_is_judged():
    assert {p.name for p in ACH.glob("*.ach")} == ACH_VALID | ACH_INVALID


@needs_samples
@pytest.mark.parametrize("name", sorted(ACH_VALID))
def test_ach_check_valid_samples(name):
    code, out, _ = run("ach", "check", str(ACH / name))
    assert code == 0
    assert len(out.strip().splitlines()) == 1
    assert out.startswith(f"{name}: valid: ")


@needs_samples
@pytest.mark.parametrize("name", sorted(ACH_INVALID))
def test_ach_check_invalid_samples(name):
    code, out, _ = run("ach", "check", str(ACH / name))
    assert code == 1
    lines = out.strip().splitlines()
    assert lines
    assert all(PROBLEM.match(line) for line in lines), lines


@needs_samples
def test_ach_check_lists_every_problem():
    code, out, _ = run("ach", "check", str(ACH / "invalid-two-micro-deposits.ach"))
    assert code == 1
    assert out.splitlines() == [
        "line 15: amount: '00CCC00004' is not numeric",
        "line 15: trace number: '121042889AAZZZ8' is not numeric",
        "line 17: total debit entry dollar amount: says 0.44, entries total 0.00",
        "line 18: total debit entry dollar amount: says 1.20, entries total 0.76",
    ]


@needs_samples
def test_ach_check_custom_return_codes_flag():
    path = str(ACH / "return-PPD-custom-reason-code.ach")
    assert run("ach", "check", path)[0] == 1
    assert run("ach", "check", path, "--allow-custom-return-codes")[0] == 0


@needs_samples
def test_ach_show_json_contract():
    code, out, _ = run("ach", "show", str(ACH / "return-WEB.ach"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    first = data["batches"][0]
    assert first["sec_code"] == "WEB"
    entry = first["entries"][0]
    assert entry["transaction_code"] == "26"
    assert entry["routing"] == "091400606"
    assert entry["amount"] == "123.54"
    assert entry["trace"] == "091000017611242"
    assert entry["return_code"] == "R01"
    assert entry["original_trace"] == "091400600000001"
    assert data["batches"][1]["entries"][0]["return_code"] == "R03"
    assert data["totals"]["debit"] == "123.54"
    assert data["totals"]["credit"] == "45.65"
    assert data["totals"]["batch_count"] == 2
    assert "6789" in entry["account"] and "12345" not in entry["account"]  # masked


@needs_samples
def test_ach_show_invalid_file_exits_1_with_problems():
    code, out, err = run("ach", "show", str(ACH / "invalid-pos-returnCode.ach"), "--format", "json")
    assert code == 1
    assert json.loads(out)["valid"] is False
    assert "line 4: return reason code: 'R96' is not a NACHA return reason code" in err


@needs_samples
def test_ach_show_text():
    code, out, _ = run("ach", "show", str(ACH / "cor-example.ach"))
    assert code == 0
    assert "C01 1918171614" in out


BAI_VALID = [
    "moj-account_trailer_amount_blank_example.bai2",
    "moj-citi_example.bai2",
    "moj-nwb_example.bai2",
    "moj-svb_us_example.bai2",
    "moov-sample1.bai2",
    "moov-sample2.bai2",
    "moov-sample3.bai2",
]


@needs_samples
@pytest.mark.parametrize("name", BAI_VALID)
def test_bai2_show_valid_samples(name):
    code, out, _ = run("bai2", "show", str(BAI / name), "--format", "json")
    assert code == 0
    assert json.loads(out)["valid"] is True


@needs_samples
def test_bai2_show_json_amounts_are_strings():
    code, out, _ = run("bai2", "show", str(BAI / "moov-sample1.bai2"), "--format", "json")
    data = json.loads(out)
    account = data["groups"][0]["accounts"][0]
    assert account["transactions"][0]["amount"] == "25.00"
    assert account["transactions"][0]["text"] == "RETURNED CHEQUE"
    assert data["control_total"] == "12800.00"


@needs_samples
def test_bai2_invalid_samples_are_rejected():
    code, _, err = run("bai2", "show", str(BAI / "moov-invalid-sample-parseError.bai2"), "--format", "json")
    assert code == 1
    assert "line 1: record code: '00' is not a BAI2 record code" in err
    sample4 = str(BAI / "moov-sample4-continuations-newline-delimited.bai2")
    code, _, err = run("bai2", "show", sample4, "--format", "json")
    assert code == 1
    assert all(PROBLEM.match(line) for line in err.strip().splitlines())
    code, out, _ = run("bai2", "show", sample4, "--format", "json", "--lenient")
    assert code == 0 and len(json.loads(out)["groups"][0]["accounts"]) == 5


@needs_samples
def test_console_script_exit_codes():
    """The real ``ratepayer`` entry point, as an operator runs it."""
    exe = Path(sys.executable).with_name("ratepayer")
    env = {**os.environ, "RATEPAYER_DEBUG": "1"}
    ok = subprocess.run(
        [str(exe), "ach", "check", str(ACH / "ppd-credit.ach")], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("\n") == 1
    bad = subprocess.run(
        [str(exe), "ach", "check", str(ACH / "invalid-ppd-debit-entryDetail-checkDigit.ach")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 1
    assert bad.stdout.startswith("line 3: check digit: ")


@needs_samples
@pytest.mark.parametrize("name", sorted(p.name for p in BAI.glob("*.bai2")))
def test_bai2_show_text_never_crashes(name):
    code, out, _ = run("bai2", "show", str(BAI / name))
    assert code in (0, 1)
    assert "group" in out.splitlines()[-1]


@needs_samples
def test_bai2_check():
    assert run("bai2", "check", str(BAI / "moov-sample2.bai2"))[0] == 0
    code, out, _ = run("bai2", "check", str(BAI / "moov-invalid-sample-parseError.bai2"))
    assert code == 1 and all(PROBLEM.match(line) for line in out.strip().splitlines())


def test_missing_file_is_a_command_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        call_command("ach", "check", str(REPO / "no-such-file.ach"))
