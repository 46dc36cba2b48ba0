"""Benchmark (issue 19): α and D of single FBM trajectories read by a trained, calibrated SPIVAE, scored like AnDi 2020 task 1.

The set: FBM from andi-datasets, α from 0.05 to 1.95 in steps of 0.05, `--per-alpha` trajectories each, positions
in units of the step standard deviation (D = 0.5, so MSD(1) = 1), each cut to a length drawn uniformly in
[200, 1000), clean and with localisation noise of standard deviation σ ∈ {0.1, 0.5, 1} (one σ per trajectory, drawn
at random, as the challenge does; also each σ on its own). Scored by the challenge's metric, the MAE of α, against
the challenge's baseline on the same trajectories: a least-squares line through log TA-MSD over lags 2-9
(`fit_tamsd`). D: mean squared error of log D against the TA-MSD intercept's D. The intervals' coverage at the
calibration's level. Per length band and noise level.

    python benchmarks/estimate.py --checkpoint spivae_run/spivae_fbm.safetensors --out benchmarks/results/estimate

writes `<out>.json` and `<out>.md`; the calibration is read from beside the checkpoint, or made and saved there.
"""
import argparse, json, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from spivae.data import fbm_dataset
from spivae.analysis import positions, fit_tamsd
from spivae.train import load_checkpoint, read_train_state
from spivae.estimate import calibrate, estimate, calibration_path, load_calibration, save_calibration, generate_at

BANDS = [200, 400, 600, 800, 1000]

def andi_like(per_alpha, seed, path):
    "Positions (ragged list), α, and lengths of the clean set"
    alphas = np.round(np.arange(0.05, 1.951, 0.05), 2)
    ds = fbm_dataset(path, N=per_alpha, T=1000, alpha=alphas, D=[0.5], seed=seed)
    x = positions(ds.disp.numpy().astype(float))
    rng = np.random.default_rng(seed)
    lens = rng.integers(200, 1000, len(x))
    return [xi[:n] for xi, n in zip(x, lens)], ds.alpha, lens, rng

def score(name, a_hat, D_hat, alpha, lens, lo=None, hi=None):
    "MAE of α overall and per length band, MSE of log D (true D = 0.5), coverage of the α interval if given"
    err = np.abs(a_hat - alpha)
    out = dict(method=name, mae=float(err.mean()), msle_D=float(np.mean((np.log(D_hat) - np.log(0.5))**2)))
    for b0, b1 in zip(BANDS[:-1], BANDS[1:]):
        m = (lens >= b0) & (lens < b1)
        out[f'mae_{b0}_{b1}'] = float(err[m].mean())
    if lo is not None: out['coverage'] = float(np.mean((lo <= alpha) & (alpha <= hi)))
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--per-alpha', type=int, default=26, help='trajectories per α (26 × 39 = 1 014, the size of the reference set)')
    p.add_argument('--seed', type=int, default=2020)
    p.add_argument('--cal-n', type=int, default=200, help='calibration trajectories per α and length band')
    p.add_argument('--neurons', default=None, help='comma-separated neurons to calibrate (default: the survivors, KL > 0.1)')
    p.add_argument('--d-ref', type=float, default=None, help="the step scale windows are brought to (default: the training D at which the model reads α best)")
    p.add_argument('--calibration', default=None, help='where the calibration is read from or written to (default: beside the checkpoint)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', required=True, help='path without suffix: writes .json and .md')
    a = p.parse_args()
    if a.per_alpha < 1 or a.cal_n < 10: p.error('--per-alpha must be >= 1 and --cal-n >= 10')
    torch.set_num_threads(a.threads)
    model, margs, dargs = load_checkpoint(a.checkpoint)
    cpath = Path(a.calibration) if a.calibration else calibration_path(a.checkpoint)
    t0 = time.perf_counter()
    if cpath.exists(): cal = load_calibration(cpath)
    else:
        nrn = None if a.neurons is None else [int(v) for v in a.neurons.split(',')]
        cands = [a.d_ref] if a.d_ref is not None else [float(v) for v in np.atleast_1d(dargs.get('D', [1e-3]))]
        cal = calibrate(model, neurons=nrn, n=a.cal_n, D_ref=cands, seed=1)
        save_calibration(cal, cpath)
    t_cal = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp: xs, alpha, lens, rng = andi_like(a.per_alpha, a.seed, tmp)
    sig_each = rng.choice([0.1, 0.5, 1.0], len(xs))
    noise = [rng.standard_normal(len(x)) for x in xs]
    sets = {'clean': xs, 'noisy (σ 0.1/0.5/1 mixed)': [x + s*e for x, s, e in zip(xs, sig_each, noise)]}
    for s in (0.1, 0.5, 1.0): sets[f'σ = {s}'] = [x + s*e for x, e in zip(xs, noise)]
    rows = []
    t1 = time.perf_counter()
    for name, data in sets.items():
        a_ta, D_ta = fit_tamsd(data, lags=np.arange(2, 10))
        rows.append(dict(set=name, **score('TA-MSD (lags 2-9)', np.asarray(a_ta), np.asarray(D_ta), alpha, lens)))
        e = estimate(data, model, cal)
        rows.append(dict(set=name, **score('SPIVAE latent', e.alpha.to_numpy(), e.D.to_numpy(), alpha, lens,
                                           e.alpha_lo.to_numpy(), e.alpha_hi.to_numpy())))
    t_est = time.perf_counter() - t1
    # the inverse: trajectories generated at requested (α, D), checked by the fit of their mean TA-MSD (lags 1-10)
    gen = []
    for al, D in [(0.3, 1e-2), (0.6, 1e-2), (1.0, 1e-2), (1.4, 1e-2), (1.8, 1e-2), (1.0, 1e-4), (1.0, 1.)]:
        x = generate_at(model, cal, al, D, n=200, seed=a.seed)
        a_t, D_t = fit_tamsd(x, lags=np.arange(1, 11), ensemble=True)
        a_each, _ = fit_tamsd(x, lags=np.arange(1, 11))
        gen.append(dict(alpha=al, D=D, alpha_tamsd=float(a_t), D_tamsd=float(D_t), alpha_sd=float(np.std(a_each))))
    df = pd.DataFrame(rows)
    res = dict(checkpoint=str(a.checkpoint), train_state=read_train_state(a.checkpoint), data=dargs, n=len(xs),
               per_alpha=a.per_alpha, seed=a.seed, calibration=dict(neurons=cal.neurons, bands=cal.bands, coverage=cal.coverage,
               level=cal.level, D_ref=cal.D_ref, probe=cal.probe), minutes_calibration=round(t_cal/60, 2), minutes_estimates=round(t_est/60, 2),
               threads=a.threads, date=time.strftime('%Y-%m-%d'), rows=rows, generated=gen)
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix('.json').write_text(json.dumps(res, indent=1, default=str))
    cols = ['set', 'method', 'mae'] + [f'mae_{b0}_{b1}' for b0, b1 in zip(BANDS[:-1], BANDS[1:])] + ['msle_D', 'coverage']
    md = df[cols].to_markdown(index=False, floatfmt='.3f') if hasattr(df, 'to_markdown') else df[cols].to_string(index=False)
    out.with_suffix('.md').write_text(f"# α of single FBM trajectories (AnDi 2020 task 1, FBM only)\n\n{len(xs)} trajectories "
        f"(α 0.05-1.95, lengths 200-999), seed {a.seed}; model {a.checkpoint} (neurons {cal.neurons}); "
        f"{a.threads} threads; {time.strftime('%Y-%m-%d')}; calibration: reference scale D {cal.D_ref:g} (candidates and their "
        f"held-out α RMSE: {cal.probe}), coverage per length band {cal.coverage}.\n\n{md}\n\n"
        "Generated at a requested (α, D) (`generate_at`, 200 trajectories of 399 steps), fitted on their mean TA-MSD over lags 1-10 "
        "(alpha sd: the spread of the per-trajectory fits):\n\n" + pd.DataFrame(gen).to_markdown(index=False, floatfmt='.3g') + "\n")
    print(df[cols].to_string(index=False, float_format='%.3f'))

if __name__ == '__main__': main()
