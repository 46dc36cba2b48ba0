"""Ideal NLL per scored step of the validation set: exact FBM conditional likelihood given the full past (or the last 32 steps)

Study script of issue 18 (main job data: 9 α x 5 D x 266 FBM trajectories of 400 positions, as spivae_train
draws them for SEED); prints one JSON line per epoch. Its results: benchmarks/results/recipe_study.md.
Run: python benchmarks/diagnostics/ideal.py SEED
"""
import sys, numpy as np, torch, scipy.linalg as sl
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1])); from recipe_study import study_data
seed = int(sys.argv[1]); RF = 32
dls = study_data(seed)
va = dls.valid.dataset
X = va.disp.numpy().astype(float); n, L = X.shape
tot_full, tot_32 = 0., 0.
for a in np.unique(va.alpha):
    for D in np.unique(va.D):
        idx = (va.alpha == a) & (va.D == D)
        if not idx.any(): continue
        k = np.arange(L)
        g = D*(np.abs(k+1)**a - 2*np.abs(k)**a + np.abs(k-1)**a)
        S = sl.toeplitz(g)
        C = np.linalg.cholesky(S)
        W = sl.solve_triangular(C, X[idx].T, lower=True)  # innovations
        d = np.diag(C)
        nll = 0.5*np.log(2*np.pi*d[:, None]**2) + 0.5*W**2
        tot_full += nll[RF:].mean(0).sum()
        # memory 32: conditional on the previous 32 steps only
        S33 = sl.toeplitz(g[:RF+1]); Cm = np.linalg.cholesky(S33)
        # for t >= RF: window x[t-RF..t], the last innovation of the window
        Xi = X[idx]
        win = np.lib.stride_tricks.sliding_window_view(Xi, RF+1, axis=1)[:, :L-RF]  # (m, L-RF, RF+1)
        w = sl.solve_triangular(Cm, win.reshape(-1, RF+1).T, lower=True)[-1]
        nll32 = 0.5*np.log(2*np.pi*Cm[-1, -1]**2) + 0.5*w**2
        tot_32 += nll32.reshape(idx.sum(), L-RF).mean(1).sum()
print(dict(seed=seed, n=n, ideal_full=round(tot_full/n, 4), ideal_memory32=round(tot_32/n, 4)))
