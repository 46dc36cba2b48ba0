"""Diagnostic: can the seed's encoder learn α (and log D) when trained on the labels directly? raw input vs x/rms + log rms

Study script of issue 18 (main job data: 9 α x 5 D x 266 FBM trajectories of 400 positions, as spivae_train
draws them for SEED); prints one JSON line per epoch. Its results: benchmarks/results/recipe_study.md.
Run: python benchmarks/diagnostics/enc_cap.py raw|scale SEED EPOCHS
"""
import sys, time, json, numpy as np, torch
from fastai.torch_core import set_seed
from spivae.models import VAEWaveNet, seed_model_args
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1])); from recipe_study import study_data, encoder_scale
mode, seed, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
dls = study_data(seed)
set_seed(seed)
m = VAEWaveNet(**seed_model_args(400))
if mode == 'scale': encoder_scale(m)
enc = m.vae
tr, va = dls.train.dataset, dls.valid.dataset
def target(ds): return torch.tensor(np.stack([(ds.alpha - 1)/0.5, (np.log10(ds.D) + 3)], 1), dtype=torch.float32)
ytr, yva = target(tr), target(va)
opt = torch.optim.Adam(enc.parameters(), 1e-3)
def r2(pred, y): return (1 - ((pred - y)**2).mean(0)/y.var(0)).tolist()
t0 = time.time()
for ep in range(epochs):
    perm = torch.randperm(len(tr))
    for i in range(0, len(tr), 64):
        idx = perm[i:i+64]
        x, _ = tr[idx]
        mu, _ = enc.encode(x)
        loss = ((mu[:, :2] - ytr[idx])**2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        x, _ = va[torch.arange(len(va))]
        mu, _ = enc.encode(x)
    print(json.dumps(dict(mode=mode, epoch=ep, r2_alpha=round(r2(mu[:, :2], yva)[0], 3), r2_logD=round(r2(mu[:, :2], yva)[1], 3), s=round(time.time()-t0))), flush=True)
