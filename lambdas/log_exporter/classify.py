"""Which log lines are errors, and which following lines belong to the same error (a stack trace).

Two stages, because Loki's line filter is one regular expression without look-around:
  LINE_FILTER  a broad LogQL `|~` prefilter (RE2 and Python alike): any line that could start or continue
               an error. It keeps Loki's answer small; it lets through e.g. `level=info msg="retried
               after error"`, which the second stage drops.
  classify     the exact decision on each line in Python. A declared level decides alone, first one
               found: a JSON or logfmt level field (so `"level":"info"` with "error" in the message is
               no error), nginx's error-log level, .NET's `fail:`, klog's and MongoDB's severity letter,
               pino's numeric level, syslog's priority, the status of an nginx/haproxy access line, a
               level word near the start (`ERROR`, `[error]`). Without one, the line's shape decides
               (JVM, Python, Go, Node and Rust exceptions and traces); last, error words that are not
               negated ("0 errors", "error=nil").
`group_errors` folds each stream's continuation lines (frames, `Caused by:`, goroutine dumps, a Python
traceback's closing exception line) into the error above them: one record per error, whose first line
is the error's signature in the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

_ERROR_LEVELS = "error|err|eror|fatal|critical|crit|panic|alert|emerg|emergency|severe|dpanic|fail"
_ANY_LEVEL = f"{_ERROR_LEVELS}|trace|trce|debug|dbug|info|information|notice|warn|warning"

# Structured logs: the level field alone decides ("level":"info" with "error" in the message is no error).
_JSON_LEVEL = re.compile(
    r'"(?i:level|lvl|severity|log\.level|levelname|loglevel|@l)"\s*:\s*"(?P<level>[A-Za-z]+)"'
)
_JSON_NUMERIC_LEVEL = re.compile(r'"level"\s*:\s*(?P<level>[1-6]0)\b')  # pino / bunyan
_LOGFMT_LEVEL = re.compile(r'(?:^|\s)(?:level|lvl|severity)="?(?P<level>[A-Za-z]+)"?(?=\s|$)')
_KLOG = re.compile(r"^(?P<level>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ [^ \]]+:\d+\]")
_NGINX_ERROR_LOG = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?P<level>[a-z]+)\] \d+#\d+:")
_NGINX_ACCESS = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" (?P<status>\d{3}) ')
_HAPROXY_ACCESS = re.compile(r" \d+/\d+/\d+/-?\d+/\d+ (?P<status>\d{3}) ")
_MONGO_SEVERITY = re.compile(r'"s"\s*:\s*"(?P<level>[EFWID])\d?"')
_SYSLOG_PRIORITY = re.compile(r"^<(?P<priority>\d{1,3})>")
_DOTNET_LEVEL = re.compile(r"^(?P<level>fail|crit|warn|info|dbug|trce): ")
_BRACKET_LEVEL = re.compile(r"^.{0,60}?\[(?P<level>[a-z]+)\]")
# A level word before the message: "2026-11-22 03:00:01.123 ERROR [main] ...", "ERROR:root:...",
# "[ERROR] ...", "E, [2026-...] ERROR -- :", "<3>", "level ERROR".
_PLAIN_LEVEL = re.compile(
    r"^.{0,60}?(?<![\w.-])\[?(?P<level>ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|SEVERE|EMERG|TRACE|DEBUG|INFO"
    r"|NOTICE|WARN|WARNING|Error|Fatal|Info|Warn|Warning|Debug)\]?(?=[\s:|\]/!-])"
)
# An exception's own line: JVM classes ("java.lang.IllegalStateException: ..."), Python and Node ones.
_EXCEPTION_CLASS = (
    r"^(?:Exception in thread \"[^\"]*\" )?(?:[a-z][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)\b"
    r"|^(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Fault|Failure)(?::\s| \(|$)"
)
# Shapes that are errors whatever surrounds them.
_SHAPES = re.compile(
    r"^Traceback \(most recent call last\):|"
    + _EXCEPTION_CLASS
    + r"|^(?:Uncaught |Unhandled (?:promise )?rejection:? |UnhandledPromiseRejectionWarning: )"
    r"|^panic: |^fatal error: |^\[?FATAL\]? |^thread '[^']*' panicked at "
    r"|^Error: |^error: |^ERROR: "
)
_WORDS = re.compile(r"(?i)(?<![\w./-])(?:error|errors|exception|fatal|panic|failed|failure)(?![\w-]|\.\w)")
# "0 errors", "no error", "error=nil", "errors: 0", "without errors", "error_count=0": not errors.
_NEGATED = re.compile(
    r"(?i)(?:\b(?:0|no|zero|without|ignoring|ignored)\s+(?:errors?|exceptions?|failures?)\b"
    r"|\b(?:errors?|exceptions?|failures?|failed)\s*[:=]\s*(?:0\b|nil\b|null\b|none\b|false\b|\[\]|\{\}|\"\")"
    r"|\berror[_-]?(?:rate|count|budget|ratio)\b)"
)

# Lines that continue the error above them in the same stream.
_FRAME = re.compile(
    r"^\s"  # indented: JVM "\tat", Node "    at", Python "  File", Go "\t/app/main.go:12"
    r"|^Caused by: |^Suppressed: |^\.\.\. \d+ (?:more|common frames omitted)"
    r"|^goroutine \d+ \[|^created by |^\[signal |^exit status \d+$"
    r"|^[\w./-]+(?:\.\(\*?[\w]+\))?\.[\w.\[\]]+\((?:[^()]*)\)$"  # Go frames: main.(*S).run(0xc0, {0x1})
    r"|^During handling of the above exception|^The above exception was the direct cause"
    r"|^\*\* \("  # Elixir/Erlang: "** (ArithmeticError) bad argument"
)
_PY_TRACE = "Traceback (most recent call last):"

# The LogQL prefilter: error words anywhere (as substrings: "TypeError", "NullPointerException"),
# klog E/F lines, nginx 5xx access lines, and every continuation shape above.
LINE_FILTER = (
    r"(?i)(?:error|exception|fatal|panic|critical|\bcrit\b|severe|emerg|traceback|fail|\berr\b"
    r'|\blevel\W{1,3}(?:50|60)\b|^<[0-3]>|"s":"[ef]|\d/-?\d+ 5\d\d '
    r"|^[ef]\d{4} \d\d:"
    r'|" 5\d\d '
    r"|^\s|^caused by: |^suppressed: |^\.\.\. \d+ |^goroutine \d+ |^created by |^\[signal |^exit status"
    r"|^[\w./-]+(?:\.\(\*?[\w]+\))?\.[\w.\[\]]+\([^()]*\)$"
    r"|^during handling of the above|^the above exception|^\*\* \()"
)


class Verdict(Enum):
    ERROR = "error"
    OTHER = "other"
    UNDECIDED = "undecided"


def _by_level(level: str) -> Verdict:
    return Verdict.ERROR if re.fullmatch(_ERROR_LEVELS, level, re.IGNORECASE) else Verdict.OTHER


def _verdict(error: bool) -> Verdict:
    return Verdict.ERROR if error else Verdict.OTHER


def _declared(line: str) -> Verdict:
    """What the line's own level (or HTTP status) says, if it declares one; first rule that applies wins."""
    for pattern in (_JSON_LEVEL, _LOGFMT_LEVEL, _NGINX_ERROR_LOG, _DOTNET_LEVEL):
        match = pattern.search(line)
        if match and re.fullmatch(_ANY_LEVEL, match["level"], re.IGNORECASE):
            return _by_level(match["level"])
    for pattern in (_KLOG, _MONGO_SEVERITY):
        match = pattern.search(line)
        if match:
            return _verdict(match["level"] in "EF")
    numeric = _JSON_NUMERIC_LEVEL.search(line)
    if numeric:
        return _verdict(numeric["level"] in {"50", "60"})  # pino/bunyan: 50 error, 60 fatal
    priority = _SYSLOG_PRIORITY.search(line)
    if priority:
        return _verdict(int(priority["priority"]) % 8 <= 3)  # emerg, alert, crit, err
    for access in (_NGINX_ACCESS, _HAPROXY_ACCESS):
        match = access.search(line)
        if match:
            return _verdict(match["status"].startswith("5"))
    for plain in (_PLAIN_LEVEL, _BRACKET_LEVEL):
        match = plain.search(line)
        if match and re.fullmatch(_ANY_LEVEL, match["level"], re.IGNORECASE):
            return _by_level(match["level"])
    return Verdict.UNDECIDED


def is_error(line: str) -> bool:
    """Whether `line` (the first line of an entry) reports an error."""
    head = line.split("\n", 1)[0][:4096]
    verdict = _declared(head)
    if verdict is not Verdict.UNDECIDED:
        return verdict is Verdict.ERROR
    if _SHAPES.search(head):
        return True
    return bool(_WORDS.search(head)) and not _NEGATED.search(head)


# The line that closes a Python traceback: "KeyError: 'x'", "app.errors.Unavailable: ...", "StopIteration".
_PY_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?::\s|$)")


_EXCEPTION_LINE = re.compile(_EXCEPTION_CLASS)


@dataclass
class _Open:
    ts_ns: int
    lines: list[str] = field(default_factory=list)
    chars: int = 0
    last_ns: int = 0
    python_trace: bool = False

    def continues(self, line: str, ts_ns: int, gap_ns: int) -> bool:
        if ts_ns - self.last_ns > gap_ns:
            return False
        last = self.lines[-1]
        if _FRAME.match(line):
            return True
        if line.startswith(_PY_TRACE):  # under the log line that announced it, or a chained exception
            self.python_trace = True
            return len(self.lines) == 1 or last.startswith(("During handling", "The above exception"))
        if self.python_trace and last[:1].isspace() and _PY_EXCEPTION.match(line):
            return True
        # An exception line under the log line that announced it (logback, log4j).
        return len(self.lines) == 1 and _EXCEPTION_LINE.match(line) is not None


# A trace's lines arrive together; anything later than this is a new event.
DEFAULT_GAP_NS = 2_000_000_000
MAX_RECORD_LINES = 400
MAX_RECORD_CHARS = 64 * 1024


@dataclass(frozen=True)
class ErrorRecord:
    stream: tuple[tuple[str, str], ...]
    ts_ns: int
    text: str
    lines: int


def group_errors(
    entries: Iterable[tuple[tuple[tuple[str, str], ...], int, str]],
    *,
    gap_ns: int = DEFAULT_GAP_NS,
    error_line: re.Pattern[str] | None = None,
) -> Iterator[ErrorRecord]:
    """(stream, ts, line) in time order -> one record per error with its continuation lines.

    `error_line` replaces the built-in classifier (a custom LINE_FILTER decides what is an error).
    Memory is one open record per stream, each capped at MAX_RECORD_LINES and MAX_RECORD_CHARS.
    """
    open_records: dict[tuple[tuple[str, str], ...], _Open] = {}

    def close(stream: tuple[tuple[str, str], ...]) -> ErrorRecord:
        record = open_records.pop(stream)
        return ErrorRecord(stream, record.ts_ns, "\n".join(record.lines), len(record.lines))

    for stream, ts_ns, line in entries:
        record = open_records.get(stream)
        if record is not None and record.continues(line, ts_ns, gap_ns):
            record.last_ns = ts_ns
            if len(record.lines) < MAX_RECORD_LINES and record.chars < MAX_RECORD_CHARS:
                record.lines.append(line[: MAX_RECORD_CHARS - record.chars])
                record.chars += len(record.lines[-1])
            continue
        if record is not None:
            yield close(stream)
        starts = error_line.search(line) is not None if error_line else is_error(line)
        if starts:
            head = line[:MAX_RECORD_CHARS]
            open_records[stream] = _Open(
                ts_ns=ts_ns,
                lines=[head],
                chars=len(head),
                last_ns=ts_ns,
                python_trace=head.startswith(_PY_TRACE),
            )
    for stream in list(open_records):
        yield close(stream)
