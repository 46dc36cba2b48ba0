"""Diagnostic: NLL a decoder reaches when the latent is given (no encoder): (α, log D), log D only, nothing. Value of α per step.

Study script of issue 18 (main job data: 9 α x 5 D x 266 FBM trajectories of 400 positions, as spivae_train
draws them for SEED); prints one JSON line per epoch. Its results: benchmarks/results/recipe_study.md.
Run: python benchmarks/diagnostics/oracle.py ad|d|none SEED EPOCHS LR [CLIP (0: none)] [ms|rs|msrs]
"""
import sys, time, json, numpy as np, torch
from fastai.torch_core import set_seed
from spivae.models import VAEWaveNet, seed_model_args
from spivae.loss import Loss
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1])); from recipe_study import study_data
which, seed, epochs, lr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
clip = float(sys.argv[5]) if len(sys.argv) > 5 else None
rs = len(sys.argv) > 6 and 'rs' in sys.argv[6]
ms = len(sys.argv) > 6 and 'ms' in sys.argv[6]
torch.set_num_threads(1)
dls = study_data(seed)
set_seed(seed)
m = VAEWaveNet(**seed_model_args(400, res_scale=rs))
tr, va = dls.train.dataset, dls.valid.dataset
def latent(ds):
    z = np.zeros((len(ds), 6), dtype=np.float32)
    if 'a' in which: z[:, 0] = (ds.alpha - 1)/0.5
    if 'd' in which: z[:, 1] = (np.log10(ds.D) - np.log10(ds.D).mean())/np.log10(ds.D).std()
    return torch.from_numpy(z)
ztr, zva = latent(tr), latent(va)
lf = Loss(m.receptive_field, m.c_channels, m.use_pad, 0., reduction='mean')
params = [p for n, p in m.named_parameters() if not n.startswith('vae.encoder')]
opt = torch.optim.Adam(params, lr)
nb = epochs*((len(tr) + 255)//256)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=nb, pct_start=0.25)
def nll(x, y, z):
    c = m.vae.decode(z)
    yh = m(x, c=c)[0]
    if ms:  # mean in units of the predicted scale
        lg, mean, ls = yh.chunk(3, 1); yh = torch.cat([lg, mean*ls.exp(), ls], 1)
    zero = torch.zeros_like(z)
    return lf((yh, zero, zero, c), y)
t0 = time.time()
for ep in range(epochs):
    m.train()
    perm = torch.randperm(len(tr)); gmax = 0.
    for i in range(0, len(tr), 256):
        idx = perm[i:i+256]
        x, y = tr[idx]
        loss = nll(x, y, ztr[idx])
        opt.zero_grad(); loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(params, clip if clip else float('inf')))
        gmax = max(gmax, gn)
        opt.step(); sched.step()
    m.eval()
    with torch.no_grad():
        tot = 0.
        for i in range(0, len(va), 512):
            idx = torch.arange(i, min(i+512, len(va)))
            x, y = va[idx]; tot += float(nll(x, y, zva[idx]))*len(idx)
    print(json.dumps(dict(which=which, epoch=ep, valid_nll=round(tot/len(va), 4), train_last=round(float(loss), 3), gmax=round(gmax, 2), clip=clip, rs=rs, ms=ms, s=round(time.time()-t0))), flush=True)
