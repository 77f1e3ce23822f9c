"""Fit `model.py` (beside this script) on the TRAIN split of the copies pair set; cross-validate
it there.

    python tests/copies_pairs/fit.py [--write] [--only-end | --only-new]

Only pairs whose split is "train" are read (`test` is scored once by the lead, never here).
Per pair: both sides are prepared by `bot.dedup_verify.prepare`, `compare` (full, no brief
stop) gives the scores and `model.features` the features; `Deduper.check` (the
path of evaluate.py) gives the rules' decision, and the full-text comparisons it made on the
way are recorded (`bot.dedup.compare` is wrapped here: it records, it decides the same).

L2 logistic regression by Newton steps (IRLS) on standardised features. Grouped 5-fold
cross-validation: pairs sharing a source article (any side's reference; a web pair's two
sides are one article) sit in one fold. Printed per threshold t and per gate (where a model
would be asked): precision/recall of the rules alone and of "rules OR (gate and p >= t)",
overall and on the web pairs, with the new-news kinds folded; then where the copies the
rules miss rank among the pairs the rules call new. `--write` rewrites the fitted block of
tests/copies_pairs/model.py with weights fitted on the fitting population (default: every train
pair; `--only-end`: the pairs reaching the end of `compare`; `--only-new`: the pairs the
rules call new).
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import model as dedup_model  # noqa: E402
import pairset  # noqa: E402
from evaluate import make_story  # noqa: E402

import bot.dedup  # noqa: E402
from bot.dedup import Deduper  # noqa: E402
from bot.dedup_verify import Verdict, compare, prepare  # noqa: E402

FOLDS = 5
L2 = 1.0
THRESHOLDS = (0.2, 0.3, 0.5, 0.7, 0.9, 0.95)
# where a model may fold a pair the rules call new: "reach" = at the end of compare through
# Deduper.check (candidate gate and brief stop passed), "end" = at the end of compare run
# without gate or brief stop, "any" = every pair (an upper bound: no gate at all)
GATES = ("reach", "end", "any")
_CALLS: list[Verdict | None] = []  # the verdicts of the comparisons Deduper.check asked for


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """Weights (intercept first) of L2 logistic regression on `x` (standardised), by IRLS."""
    a = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(a.shape[1])
    penalty = l2 * np.eye(a.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(a @ w, -50, 50)))
        grad = a.T @ (p - y) + penalty @ w
        hess = (a * (p * (1 - p))[:, None]).T @ a + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def predict(w: np.ndarray, mean: np.ndarray, scale: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(w[0] + ((x - mean) / scale) @ w[1:], -50, 50)))


def _recording(*args: Any, **kwargs: Any) -> Verdict | None:
    verdict = compare(*args, **kwargs)
    _CALLS.append(verdict)
    return verdict


def at_end(v: Verdict | None) -> bool:
    """Whether `compare` gave its last verdict ("new": no copy rule, no correction, changed
    figure or swapped facts), where a model would be asked (that verdict's reasons)."""
    return v is not None and not v.copy and v.reason.startswith(("its opening is new", "it shares"))


def folded(pair: dict) -> tuple[bool, list[Verdict | None]]:
    """Whether Deduper.check folds the pair's new side into its old one, and the verdicts of
    the full-text comparisons it made on the way (none: its candidate gate stopped the pair)."""
    a = make_story(pair["id"] + "/a", *pairset.build(pair["a"]))
    b = make_story(pair["id"] + "/b", *pairset.build(pair["b"]))
    deduper = Deduper(text_of={a.key: (a.title, a.body)}.get)
    deduper.add(a)
    _CALLS.clear()
    match = deduper.check(b)
    return match is not None and match.original_key == a.key, list(_CALLS)


def groups(pairs: list[dict]) -> list[str]:
    """Each pair's group: pairs sharing any source article (transitively) share a group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    refs = [[re.sub(r"#[ab]$", "", p[side]["src"]) for side in ("a", "b")] for p in pairs]
    for a, b in refs:
        parent[find(b)] = find(a)
    return [find(a) for a, _ in refs]


def assign_folds(gs: list[str], k: int = FOLDS) -> list[int]:
    """A fold per pair, whole groups at a time, biggest groups first to the lightest fold."""
    sizes = Counter(gs)
    order = sorted(sizes)
    random.Random(11).shuffle(order)
    load, fold_of = [0] * k, {}
    for g in sorted(order, key=lambda g: -sizes[g]):
        f = min(range(k), key=load.__getitem__)
        fold_of[g] = f
        load[f] += sizes[g]
    return [fold_of[g] for g in gs]


def table(pairs: list[dict]) -> list[dict]:
    rows = []
    for p in pairs:
        (ta, ba), (tb, bb) = pairset.build(p["a"]), pairset.build(p["b"])
        old, new = prepare(ta, ba), prepare(tb, bb)
        v = compare(new, old)
        if v is None:
            continue  # a text of nothing but boilerplate: the judge decides, no model
        rules, calls = folded(p)
        rows.append(
            {
                "pair": p,
                "copy": p["label"] == "copy",
                "x": dedup_model.features(new, old, v.scores),
                "end": at_end(v),
                "rules": rules,
                "compared": bool(calls),  # Deduper.check verified it on full text
                "reach": not rules and any(map(at_end, calls)),
            }
        )
    return rows


def score(rows: list[dict], says: list[bool]) -> str:
    tp = sum(s and r["copy"] for r, s in zip(rows, says, strict=True))
    fp = sum(s and not r["copy"] for r, s in zip(rows, says, strict=True))
    fn = sum(not s and r["copy"] for r, s in zip(rows, says, strict=True))
    p = tp / (tp + fp) if tp + fp else 1.0
    return f"P={p:.3f} R={tp / max(1, tp + fn):.3f} fp={fp} fn={fn}"


def main() -> None:
    pairs = [p for p in pairset.pairs() if p["split"] == "train"]  # never anything of `test`
    bot.dedup.compare = _recording  # type: ignore[assignment]
    rows = table(pairs)
    x = np.array([[r["x"][n] for n in dedup_model.NAMES] for r in rows])
    y = np.array([float(r["copy"]) for r in rows])
    use = np.ones(len(rows), bool)
    if "--only-end" in sys.argv:
        use = np.array([r["end"] for r in rows])
    elif "--only-new" in sys.argv:
        use = np.array([not r["rules"] for r in rows])
    folds = np.array(assign_folds(groups([r["pair"] for r in rows])))
    prob = np.zeros(len(rows))
    for f in range(FOLDS):
        train = (folds != f) & use
        mean, scale = standardise(x[train])
        w = fit((x[train] - mean) / scale, y[train])
        prob[folds == f] = predict(w, mean, scale, x[folds == f])
    print(f"train pairs {len(rows)} ({int(y.sum())} copies), fitted on {int(use.sum())}, ")
    print(f"{FOLDS} grouped folds of {sorted(Counter(folds.tolist()).values())} pairs")
    missed = [r for r in rows if r["copy"] and not r["rules"]]
    never = [r for r in rows if r["copy"] and not r["compared"]]
    print(
        f"copies the rules miss: {len(missed)}; of these, reaching the end of compare through "
        f"Deduper.check: {sum(r['reach'] for r in missed)}, without gate or brief stop: "
        f"{sum(r['end'] for r in missed)}"
    )
    print(
        f"copies Deduper.check never compares on full text: {len(never)} "
        f"({sum(r['rules'] for r in never)} folded by key/url/text or the judge, missed: "
        f"{', '.join(r['pair']['id'] for r in never if not r['rules'])})"
    )
    web = [i for i, r in enumerate(rows) if r["pair"]["origin"] == "web"]
    for t in (None, *THRESHOLDS):
        for gate in GATES if t is not None else ("rules",):
            says = [
                r["rules"] or (t is not None and (gate == "any" or r[gate]) and prob[i] >= t)
                for i, r in enumerate(rows)
            ]
            wrong = Counter(
                r["pair"]["kind"] for r, s in zip(rows, says, strict=True) if s and not r["copy"]
            )
            label = "rules" if t is None else f"rules | p>={t:.2f} at {gate}"
            print(
                f"{label:24} all {score(rows, says)}  web "
                f"{score([rows[i] for i in web], [says[i] for i in web])}  new folded {dict(wrong)}"
            )
    rest = sorted((i for i, r in enumerate(rows) if not r["rules"]), key=lambda i: -prob[i])
    print(f"CV rank (of {len(rest)} pairs the rules call new) of each copy they miss:")
    for rank, i in enumerate(rest):
        if rows[i]["copy"]:
            print(
                f"  #{rank + 1:3} p={prob[i]:.3f} {rows[i]['pair']['id']} "
                f"({rows[i]['pair']['kind']})"
            )
    mean, scale = standardise(x[use])
    w = fit((x[use] - mean) / scale, y[use])
    print(f"weights (fitted on all {int(use.sum())}, standardised): intercept {w[0]:+.3f}")
    for n, m, s, wi in zip(dedup_model.NAMES, mean, scale, w[1:], strict=True):
        print(f"  {n:14} mean {m:.3f} scale {s:.3f} weight {wi:+.3f}")
    if "--write" in sys.argv:
        write(w, mean, scale)


def write(
    w: np.ndarray, mean: np.ndarray, scale: np.ndarray, path: Path = HERE / "model.py"
) -> None:
    """Rewrite the fitted block of `path` (tests/copies_pairs/model.py) with these weights."""
    text = path.read_text(encoding="utf-8")
    start = text.index("# --- written by tests/copies_pairs/fit.py")
    end = text.index("# --- end of fitted weights ---")
    lines = [
        "# --- written by tests/copies_pairs/fit.py --write (train split only) ---",
        f"INTERCEPT = {w[0]:.4f}",
        "WEIGHTS: dict[str, tuple[float, float, float]] = {  # name: (mean, scale, weight)",
        *(
            f'    "{n}": ({m:.4f}, {s:.4f}, {wi:.4f}),'
            for n, m, s, wi in zip(dedup_model.NAMES, mean, scale, w[1:], strict=True)
        ),
        "}",
        "",
    ]
    path.write_text(text[:start] + "\n".join(lines) + text[end:], encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
