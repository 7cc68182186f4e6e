"""Check a chart's values against the upstream ``values.yaml`` of the pinned chart version.

Helm silently ignores a values key the chart does not know, so a misspelt key (``retentionSize``
for ``retention_size``, ``podAnnotation`` for ``podAnnotations``) deploys "successfully" and does
nothing. ``ChartValues.unknown_paths`` reports every key path the project sets that the chart's
own ``values.yaml`` does not have, except below the chart's free-form maps (Alertmanager
``config``, ``podAnnotations``, ...), which must be listed explicitly.

Usage from any test::

    kps = ChartValues.load("kube-prometheus-stack", "88.5.3", free_form=KPS_FREE_FORM,
                           subcharts={"grafana": ("grafana", "12.11.1")})
    assert kps.unknown_paths(my_values) == []

Free-form patterns are dotted paths; ``*`` matches one key and ``**`` any number of keys, so
``**.podAnnotations`` allows free keys under every ``podAnnotations`` of the chart. A key that
itself holds a dot is written with ``\\.``: ``grafana.grafana\\.ini``.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "chart-values"

COMMON_FREE_FORM: tuple[str, ...] = (
    "**.annotations",
    "**.labels",
    "**.podAnnotations",
    "**.podLabels",
    "**.nodeSelector",
    "**.resources",
    "**.securityContext",
    "**.containerSecurityContext",
    "**.podSecurityContext",
    "**.affinity",
)
"""Kubernetes maps whose keys are the user's by nature (label keys, resource names, securityContext
fields defined by the Kubernetes API rather than by the chart)."""


class UnknownChart(LookupError):
    """No upstream values are kept for this chart version under tests/data/chart-values."""


def load_upstream_values(chart: str, version: str) -> dict[str, Any]:
    """The upstream ``values.yaml`` of ``chart`` at ``version``, as kept in tests/data/chart-values."""
    return copy.deepcopy(_parsed_values(chart, version))


@functools.cache
def _parsed_values(chart: str, version: str) -> dict[str, Any]:
    # Parsed once per test session: the big charts' values run to thousands of lines.
    path = DATA_DIR / f"{chart}-{version}" / "values.yaml"
    if not path.is_file():
        kept = sorted(entry.name for entry in DATA_DIR.iterdir() if entry.is_dir())
        raise UnknownChart(
            f"no upstream values for {chart} {version} in {DATA_DIR} (kept: {', '.join(kept)})"
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    values = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: top level is not a mapping")
    return values


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _segments(pattern: str) -> tuple[str, ...]:
    """``a.b\\.c`` -> ``("a", "b.c")``."""
    return tuple(part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", pattern))


def _pattern_matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_pattern_matches(rest, path[index:]) for index in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _pattern_matches(rest, path[1:])


@dataclass(frozen=True)
class ChartValues:
    """A chart version's upstream values and the free-form paths below which any key is allowed."""

    chart: str
    version: str
    upstream: Mapping[str, Any]
    free_form: tuple[str, ...] = COMMON_FREE_FORM

    @classmethod
    def load(
        cls,
        chart: str,
        version: str,
        *,
        free_form: Iterable[str] = (),
        subcharts: Mapping[str, tuple[str, str]] | None = None,
        include_common: bool = True,
    ) -> ChartValues:
        """Load a chart's upstream values; ``subcharts`` maps a values key to the (chart, version) of
        the dependency configured under it (its own values merge under that key, as Helm does)."""
        upstream = load_upstream_values(chart, version)
        for key, (sub_chart, sub_version) in (subcharts or {}).items():
            upstream = _merge(
                {**upstream, key: load_upstream_values(sub_chart, sub_version)},
                {key: upstream.get(key) or {}},
            )
        patterns = (*COMMON_FREE_FORM, *free_form) if include_common else tuple(free_form)
        return cls(chart=chart, version=version, upstream=upstream, free_form=patterns)

    def is_free_form(self, path: tuple[str, ...]) -> bool:
        return any(_pattern_matches(_segments(pattern), path) for pattern in self.free_form)

    def unknown_paths(self, values: Mapping[str, Any]) -> list[str]:
        """Every dotted key path set in ``values`` that this chart version does not define, sorted.

        A path below a free-form pattern is never reported. Where upstream holds a list, a scalar
        or ``null``, the project's value is taken whole (not descended into), except that a map
        set where upstream has a non-null scalar is reported as ``<path> (upstream is a <type>)``.
        """
        problems: list[str] = []
        self._walk(values, self.upstream, (), problems)
        return sorted(problems)

    def _walk(
        self, values: Mapping[str, Any], upstream: Mapping[str, Any], path: tuple[str, ...], out: list[str]
    ) -> None:
        for key, value in values.items():
            here = (*path, str(key))
            if self.is_free_form(here):
                continue
            if key not in upstream:
                out.append(".".join(here))
                continue
            known = upstream[key]
            if isinstance(value, Mapping):
                if isinstance(known, Mapping):
                    self._walk(value, known, here, out)
                elif known is not None and not isinstance(known, list):
                    out.append(f"{'.'.join(here)} (upstream is a {type(known).__name__})")
