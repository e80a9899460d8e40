"""riata's penalised Cox networks against LassoNet's LassoNetCoxRegressor, side by side on real survival data.

Data sets scikit-survival ships: GBSG2 (686 women of the German Breast Cancer Study Group, 8 clinical
variables, 299 recurrences), GSE7390 (198 breast cancer patients, 76 gene expressions and 4 clinical
variables, 51 distant metastases) and, with ``--flchain``, FLCHAIN (7,874 people of Olmsted County with serum
free light chain measurements, 2,169 deaths; the `chapter` column, the cause of death, is left out as it leaks
the outcome; LassoNet's full-batch path takes well over half an hour on it with 2 threads). Each is split once,
60 / 20 / 20 stratified on the event; missing values are filled with the training median and inputs
standardised with training statistics; both tools see the same arrays.

* LassoNet 0.0.21 (``LassoNetCoxRegressor``, one hidden layer of 16 units as riata's, Breslow ties, its
  default path: lambda from its automatic start, x1.02 per step, hierarchy M = 10, full batch as it
  requires for Cox), ``path`` with the validation set, the model of best validation loss.
* riata's group-lasso path (``riata.train.fit_penalty``: 16 hidden units, 10 lambdas from lambda_max,
  warm start, SGD with momentum; the training settings of config/case_study_survival.yaml: minibatches of
  128, at most 200 epochs, early stopping on the validation partial likelihood after 10 epochs without
  improvement) for 1 and for 5 seeds in one batch, lambda chosen on the validation loss (rule best, as
  LassoNet's; one_se also reported).

Both run in this process on the same 2 torch threads. Printed per data set: models trained, seconds,
models per second, test concordance (Harrell, scikit-survival's) and variables kept; the last line is
machine-readable: ``gbsg2_speedup=<> gbsg2_riata_c=<> gbsg2_lassonet_c=<>`` (5-seed riata against
LassoNet, models per second).

    python benchmarks/survival_peer.py [--threads 2] [--flchain]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split
from sksurv.datasets import load_breast_cancer, load_flchain, load_gbsg2
from sksurv.metrics import concordance_index_censored

from riata.io.clinical import OUTCOME, OUTCOME_TIME
from riata.settings import TrainSettings
from riata.tasks import Task
from riata.train import fit_penalty

SPLIT_SEED = 0


def flchain() -> tuple[pd.DataFrame, np.ndarray]:
    x, y = load_flchain()
    x = x.drop(columns="chapter")  # cause of death: known only for those who died
    x = x.assign(sex=(x["sex"] == "M").astype(float), mgus=(x["mgus"] == "yes").astype(float),
                 **{name: x[name].astype(float) for name in ("flc.grp", "sample.yr")})  # fmt: skip
    return x.astype(float), np.column_stack([y["futime"], y["death"]]).astype(float)


def gbsg2() -> tuple[pd.DataFrame, np.ndarray]:
    x, y = load_gbsg2()
    x = x.assign(horTh=(x["horTh"] == "yes").astype(float), menostat=(x["menostat"] == "Post").astype(float),
                 tgrade=x["tgrade"].cat.codes.astype(float))  # fmt: skip  # grade I < II < III
    return x.astype(float), np.column_stack([y["time"], y["cens"]]).astype(float)


def gse7390() -> tuple[pd.DataFrame, np.ndarray]:
    x, y = load_breast_cancer()
    grade = x["grade"].cat.codes.astype(float).where(x["grade"] != "unkown")  # 0 well .. 2 poorly differentiated
    x = x.assign(er=(x["er"] == "positive").astype(float), grade=grade)
    return x.astype(float), np.column_stack([y["t.tdm"], y["e.tdm"]]).astype(float)


def split(x: pd.DataFrame, target: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """60 / 20 / 20, stratified on the event; training medians fill gaps, training statistics standardise."""
    rows = np.arange(len(target))
    rest, test = train_test_split(rows, test_size=0.2, stratify=target[:, 1], random_state=SPLIT_SEED)
    train, validation = train_test_split(rest, test_size=0.25, stratify=target[rest, 1], random_state=SPLIT_SEED)
    median = x.iloc[train].median()
    filled = x.fillna(median)
    mean, sd = filled.iloc[train].mean(), filled.iloc[train].std(ddof=0).replace(0, 1)
    values = ((filled - mean) / sd).to_numpy(dtype=np.float32)
    return {name: (values[part], target[part]) for name, part in (("train", train), ("validation", validation),
                                                                   ("test", test))}  # fmt: skip


def concordance(target: np.ndarray, risk: np.ndarray) -> float:
    return float(concordance_index_censored(target[:, 1] > 0, target[:, 0], risk)[0])


def run_lassonet(data, names: list[str]) -> dict:
    from lassonet import LassoNetCoxRegressor

    model = LassoNetCoxRegressor(hidden_dims=(16,), tie_approximation="breslow", random_state=0, verbose=0)
    start = time.perf_counter()
    path = model.path(*data["train"], X_val=data["validation"][0], y_val=data["validation"][1],
                      return_state_dicts=True)  # fmt: skip
    seconds = time.perf_counter() - start
    best = min(path, key=lambda item: item.val_loss)
    model.load(best.state_dict)
    risk = model.predict(data["test"][0]).ravel()
    return {"tool": "LassoNet Cox path", "models": len(path), "seconds": seconds,
            "test_concordance": concordance(data["test"][1], risk), "kept": int(best.selected.sum()),
            "of": len(names)}  # fmt: skip


def run_riata(data, names: list[str], seeds: list[int], rule: str) -> dict:
    tables = {
        part: pd.DataFrame(values, columns=names).assign(**{OUTCOME: target[:, 1], OUTCOME_TIME: target[:, 0]})
        for part, (values, target) in data.items()
    }
    columns = pd.DataFrame({"column": names, "variable": names})
    settings = TrainSettings(hidden_layers=(16,), seeds=tuple(seeds), lambda_rule=rule, batch_size=128, max_epochs=200,
                             patience=10)  # fmt: skip
    start = time.perf_counter()
    results = fit_penalty(tables, columns, task=Task("survival"), penalty="group_lasso", seeds=seeds, settings=settings)
    seconds = time.perf_counter() - start
    models = sum(len(result.path) for result in results)
    test = data["test"][1]
    return {"tool": f"riata group lasso, {len(seeds)} seed(s), lambda {rule}", "models": models, "seconds": seconds,
            "test_concordance": float(np.mean([concordance(test, r.predictions["test"]) for r in results])),
            "kept": float(np.mean([len(r.selected) for r in results])), "of": len(names)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--flchain", action="store_true", help="also FLCHAIN (7,874 people; slow for LassoNet)")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    summary = {}
    data_sets = [("gbsg2", gbsg2), ("gse7390", gse7390)] + ([("flchain", flchain)] if arguments.flchain else [])
    for name, load in data_sets:
        x, target = load()
        data = split(x, target)
        names = list(x.columns)
        rows = [
            run_lassonet(data, names),
            run_riata(data, names, [1], "best"),
            run_riata(data, names, [1, 2, 3, 4, 5], "best"),
            run_riata(data, names, [1, 2, 3, 4, 5], "one_se"),
        ]
        table = pd.DataFrame(rows).assign(models_per_second=lambda t: t["models"] / t["seconds"])
        print(f"\n{name}: {len(target)} samples, {int(target[:, 1].sum())} events, {len(names)} variables; "
              f"train / validation / test {', '.join(str(len(v[1])) for v in data.values())}")  # fmt: skip
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        lassonet, riata = table.iloc[0], table.iloc[2]
        summary[name] = (riata["models_per_second"] / lassonet["models_per_second"], riata["test_concordance"],
                         lassonet["test_concordance"])  # fmt: skip
    speedup, ours, theirs = summary["gbsg2"]
    print(f"gbsg2_speedup={speedup:.2f} gbsg2_riata_c={ours:.4f} gbsg2_lassonet_c={theirs:.4f}")


if __name__ == "__main__":
    main()
