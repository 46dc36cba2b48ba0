"""Study (issue 18): which training settings make the α neuron enter the latent space at β = 0 and survive annealing.

One run = one seed of one recipe, in this process: data as `spivae_train` draws them (seed → data, split, batch
order, initial weights), a β = 0 stage followed by annealing stages, one or several learning-rate cycles, and the
levers below. Each epoch records the validation loss and the held-out R² of α and log D from the validation latent
means (`LatentR2`, the stage-0 proxy). The end records the readout (`latent_readout` over the validation set:
KL per neuron, survivors, Spearman |ρ| with α and log D) and whether the main job's finding holds (one survivor with
|ρ α| >= 0.9, another with |ρ log D| >= 0.9). The JSON goes to `--out`, with every setting and the seed.

Levers:
- `--input-drop P [--drop-until F]`: in training, each displacement the WaveNet reads is replaced by 0 with
  probability P (the encoder sees all), during the first fraction F of the fit (default: the whole β = 0 stage);
- `--encoder-scale`: the encoder reads x / rms(x) and log rms(x) (a new first convolution, two input channels);
- `--encoder-scale-late`: the convolutions read x / rms(x) and log rms(x) joins the pooled features at the first
  dense layer (a constant input channel of about -5 into ReLU convolutions, as `--encoder-scale` does, swamps them);
- `--enc-gain G`: the encoder reads G·x (a fixed gain: the steps of the smallest D of the main grid, σ = 0.006, are
  small next to the first convolution's biases);
- `--short-rf K [--short-until F]`: during the first fraction F of the fit (default: the β = 0 stage) the dilated
  convolutions of the residual blocks from block K on see only the current step (their two earlier taps are held at
  0), so the WaveNet's receptive field is 2 + 2(2^K - 1) steps instead of 32 (K = 0: 2 steps). A decoder that cannot
  estimate α from its own window gains more from an α in the latent; at F the taps open, starting from 0, so the
  function the network computes does not jump;
- `--enc-lr K [--enc-lr-until F]`: the VAE encoder's learning rate is K times the decoder's until F of the fit
  (default: the β = 0 stage), a cheap stand-in for He et al.'s aggressive encoder updates;
- `--restore-best TOL`: after an epoch whose validation loss is more than TOL above the best so far in the same
  β stage, the weights of the best epoch come back (a guard against the setbacks);
- `--lr`, `--bs`, `--pct-start`, `--grad-clip`, `--res-scale`, `--scaled-mean`, `--restart-lr` (one cycle per stage);
- `--init-seed S`: other initial weights (and batch order) on the data of `--seed` (is a failure the data's or the weights'?);
- `--grid paper`: the paper's 21 α × 10 D grid (`--per-pair` trajectories each) instead of the main job's.

Run: `python benchmarks/recipe_study.py --seed 0 --stage0 12 --anneal 1e-4:3,1e-3:3,4e-3:3 --out /tmp/s0.json`
"""
import argparse, json, sys, time, tempfile
from pathlib import Path
import numpy as np, torch
from fastai.basics import Callback
from fastai.callback.training import GradientClip
from fastai.torch_core import set_seed
from spivae.data import load_data
from spivae.models import VAEWaveNet, seed_model_args
from spivae.readout import LatentR2, latent_readout, neuron_roles, spearman
from spivae.analysis import sweep_neuron, monotonic
from spivae.train import spivae_learner, save_model
from spivae.readout import latent_means
from spivae.callbacks import StagedBeta

GRIDS = dict(main=(np.linspace(0.2, 1.8, 9), np.linspace(2e-5, 2e-2, 5)),
             main_log=(np.linspace(0.2, 1.8, 9), np.geomspace(1e-5, 1e-2, 5)),
             main_log10=(np.linspace(0.2, 1.8, 9), np.geomspace(1e-5, 1e-2, 10)),
             paper=(np.linspace(0.2, 1.8, 21), np.geomspace(1e-5, 1e-2, 10)))

def study_data(seed, bs=256, path=None, grid='main', per_pair=266, T=400):
    "The study's `DataLoaders`: FBM on `grid` as `spivae_train` draws it for `seed` (data, split and batch order seeded)"
    alphas, Ds = GRIDS[grid]
    set_seed(seed)
    return load_data(dict(path=path or f'/tmp/spivae_study_data_s{seed}', model='fbm', N=per_pair, T=T, D=Ds, alpha=alphas,
                          seed=seed, valid_pct=0.2, bs=bs, N_save=per_pair*len(Ds), T_save=T, device='cpu'))

def model_args(T, res_scale, scaled_mean=False): return seed_model_args(T, res_scale=res_scale, scaled_mean=scaled_mean)

class InputDrop(Callback):
    "In training, until `until` of the fit, replace each input step of the WaveNet (not the encoder's) by 0 with probability `p`"
    def __init__(self, p, until): self.p, self.until = p, until
    def before_fit(self):
        def drop(mod, inp):
            if not mod.training or self.learn.pct_train >= self.until: return None
            x = inp[0]
            return (x*(torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p),)
        self.hook = self.learn.model.init_conv.register_forward_pre_hook(drop)
    def after_fit(self): self.hook.remove()

class ShortRF(Callback):
    "Until `until` of the fit, the dilated convolutions of the residual blocks from block `k` on see the current step only"
    def __init__(self, k, until): self.k, self.until, self.hooks = k, until, []
    def before_fit(self):
        for b in self.learn.model.res_stack[self.k:]:
            w = b.dilated.conv.weight
            with torch.no_grad(): w[..., :-1] = 0  # Adam moves a weight whose gradient was always 0 by exactly 0
            mask = torch.zeros_like(w); mask[..., -1] = 1
            self.hooks.append(w.register_hook(lambda g, m=mask: g*m))
    def _open(self):
        if not self.hooks: return
        for h in self.hooks: h.remove()
        self.hooks = []
        print(json.dumps(dict(short_rf='opened', epoch=int(self.epoch))), flush=True)
    def before_batch(self):
        if self.training and self.hooks and self.learn.pct_train >= self.until: self._open()
    def after_fit(self): self._open()

class RestoreBest(Callback):
    "After an epoch whose validation loss is more than `tol` above the best of its β stage, load the best weights back"
    order = 90
    def __init__(self, tol): self.tol = tol
    def before_fit(self): self.best, self.state, self.beta, self.restored = float('inf'), None, None, []
    def after_epoch(self):
        v, beta = float(self.recorder.log[2]), float(self.loss_func.beta)
        if beta != self.beta: self.best, self.state, self.beta = float('inf'), None, beta
        if v < self.best: self.best, self.state = v, {k: t.detach().clone() for k, t in self.learn.model.state_dict().items()}
        elif v > self.best + self.tol and self.state is not None:
            self.learn.model.load_state_dict(self.state); self.restored.append(int(self.epoch))

class EncoderLR(Callback):
    "Until `until` of the fit, the encoder's learning rate is `mult` times the scheduled one (a lighter form of aggressive encoder updates)"
    order = 65  # after ParamScheduler (order 60) has set this batch's rate for every group
    def __init__(self, mult, until): self.mult, self.until, self.seen = mult, until, {}
    def before_batch(self):
        if not self.training: return
        h = self.learn.opt.hypers
        h[0]['lr'] = h[1]['lr']*(self.mult if self.learn.pct_train < self.until else 1.)
        if self.iter == self.n_iter//2:  # the two groups' rates once per epoch, into the JSON: the lever is checked
            self.seen[int(self.epoch)] = (float(h[0]['lr']), float(h[1]['lr']))

def encoder_scale(model):
    "Give the VAE encoder (x / rms(x), log rms(x)) instead of x: a new first convolution with two input channels"
    enc = model.vae.encoder
    enc[0] = torch.nn.Conv1d(2, enc[0].out_channels, enc[0].kernel_size[0])
    torch.nn.init.kaiming_normal_(enc[0].weight, mode='fan_out', nonlinearity='relu'); torch.nn.init.zeros_(enc[0].bias)
    def scaled(mod, inp):
        x = inp[0]
        rms = x.pow(2).mean(-1, keepdim=True).clamp_min(1e-24).sqrt()
        return (torch.cat([x/rms, rms.log().expand_as(x)], 1),)
    enc.register_forward_pre_hook(scaled)

def encoder_scale_late(model):
    "The encoder's convolutions read x / rms(x); log rms(x) joins the pooled features at the first dense layer"
    from spivae.models import View
    enc = model.vae.encoder
    iv = next(i for i, m in enumerate(enc) if isinstance(m, View))
    old = enc[iv + 1]
    new = torch.nn.Linear(old.in_features + 1, old.out_features)
    with torch.no_grad(): new.weight[:, :-1] = old.weight; new.bias[:] = old.bias
    enc[iv + 1] = new
    st = {}
    def pre(mod, inp):
        x = inp[0]
        rms = x.pow(2).mean(-1, keepdim=True).clamp_min(1e-24).sqrt()
        st['log_rms'] = rms.log().flatten(1)
        return (x/rms,)
    enc[0].register_forward_pre_hook(pre)
    enc[iv].register_forward_hook(lambda mod, inp, out: torch.cat([out, st['log_rms']], 1))

class Log(Callback):
    order = 100
    def before_fit(self): self.t0, self.rows = time.perf_counter(), []
    def after_epoch(self):
        names, vals = self.recorder.metric_names[1:-1], self.recorder.log[1:-1]
        row = {n: (float(v) if v is not None else None) for n, v in zip(names, vals)}
        row.update(epoch=int(self.epoch), beta=float(self.loss_func.beta), seconds=round(time.perf_counter() - self.t0, 1))
        self.rows.append(row)
        print(json.dumps(row), flush=True)

def parse_anneal(s):
    if not s: return []
    return [(int(n), float(b)) for b, n in (part.split(':') for part in s.split(','))]

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--init-seed', type=int, default=None, help='seed of the initial weights and batch order (default: --seed)')
    p.add_argument('--grid', choices=list(GRIDS), default='main')
    p.add_argument('--per-pair', type=int, default=266)
    p.add_argument('--T', type=int, default=400)
    p.add_argument('--stage0', type=int, default=12, help='epochs at β = 0')
    p.add_argument('--anneal', default='1e-4:3,1e-3:3,4e-3:3', help='β:epochs,... after β = 0')
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--bs', type=int, default=256)
    p.add_argument('--pct-start', type=float, default=0.25)
    p.add_argument('--restart-lr', action='store_true')
    p.add_argument('--grad-clip', type=float, default=None)
    p.add_argument('--res-scale', action='store_true')
    p.add_argument('--scaled-mean', action='store_true', help='VAEWaveNet(scaled_mean=True): means in units of the scale')
    p.add_argument('--input-drop', type=float, default=0.)
    p.add_argument('--drop-until', type=float, default=None, help='fraction of the fit (default: end of β = 0)')
    p.add_argument('--encoder-scale', action='store_true')
    p.add_argument('--enc-gain', type=float, default=None, help='the encoder reads gain·x (the decoder x)')
    p.add_argument('--encoder-scale-late', action='store_true', help='convolutions read x/rms; log rms joins at the first dense layer')
    p.add_argument('--enc-lr', type=float, default=None, help="the encoder's rate is this many times the decoder's")
    p.add_argument('--enc-lr-until', type=float, default=None, help='fraction of the fit (default: end of β = 0)')
    p.add_argument('--short-rf', type=int, default=None, help='first residual block whose dilated taps are held at 0')
    p.add_argument('--short-until', type=float, default=None, help='fraction of the fit (default: end of β = 0)')
    p.add_argument('--restore-best', type=float, default=None, help='tolerance in nats')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--data', default=None)
    p.add_argument('--sweep', action='store_true', help='generate along the α neuron (21 values in [-4, 4], 100 samples of 200 steps)')
    p.add_argument('--save', default=None, help='write the trained model there (save_model)')
    p.add_argument('--out', required=True)
    a = p.parse_args()
    if a.save and (a.encoder_scale or a.encoder_scale_late or a.enc_gain is not None): p.error("--save cannot write a model with --encoder-scale(-late): that encoder is not one of VAEWaveNet's options")
    if a.enc_lr is not None and not a.enc_lr > 0: p.error(f"--enc-lr must be > 0, got {a.enc_lr}")
    torch.set_num_threads(a.threads)
    t_start = time.perf_counter()
    data = a.data or tempfile.mkdtemp(prefix='spivae_study_')
    dls = study_data(a.seed, a.bs, data, a.grid, a.per_pair, a.T)
    t_data = time.perf_counter() - t_start
    set_seed(a.seed if a.init_seed is None else a.init_seed)
    model = VAEWaveNet(**model_args(a.T, a.res_scale, a.scaled_mean))
    if a.encoder_scale: encoder_scale(model)
    if a.encoder_scale_late: encoder_scale_late(model)
    if a.enc_gain is not None: model.vae.encoder[0].register_forward_pre_hook(lambda mod, inp, g=a.enc_gain: (inp[0]*g,))
    stages = [(a.stage0, 0.)] + parse_anneal(a.anneal)
    n_epoch = sum(n for n, _ in stages)
    cbs = [Log()]
    if a.input_drop > 0: cbs.append(InputDrop(a.input_drop, a.stage0/n_epoch if a.drop_until is None else a.drop_until))
    if a.grad_clip: cbs.append(GradientClip(a.grad_clip))
    if a.short_rf is not None: cbs.append(ShortRF(a.short_rf, a.stage0/n_epoch if a.short_until is None else a.short_until))
    if a.restore_best is not None: cbs.append(RestoreBest(a.restore_best))
    extra = {}
    if a.enc_lr is not None:
        cbs.append(EncoderLR(a.enc_lr, a.stage0/n_epoch if a.enc_lr_until is None else a.enc_lr_until))
        enc = list(model.vae.parameters()); ids = {id(q) for q in enc}
        extra['splitter'] = lambda m: [enc, [q for q in m.parameters() if id(q) not in ids]]
    learn = spivae_learner(dls, model, metrics=[LatentR2('alpha'), LatentR2('D')], **extra)
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        learn.fit_beta_schedule(StagedBeta(stages), lr_max=a.lr, restart_lr=a.restart_lr, pct_start=a.pct_start, cbs=cbs)
    t_train = time.perf_counter() - t0
    if a.save: save_model(a.save, learn.model, model_args(a.T, a.res_scale, a.scaled_mean))
    log = cbs[0].rows
    mu, logvar, al, D = latent_means(learn.model, dls.valid)
    ro = latent_readout(mu, logvar, al, D)
    surv = ro[ro.survives]
    ra, rd = surv.rho_alpha.abs(), surv.rho_logD.abs()
    roles = neuron_roles(ro, 0.9)
    a_n, d_n = roles['alpha'], roles['logD']
    found = a_n is not None and d_n is not None
    best_a0 = int(ra.idxmax()) if len(surv) else None
    by_D = {}  # |ρ α| of the most α-like survivor within each D of the grid: is α read at every scale?
    if best_a0 is not None:
        for d in np.unique(D):
            m = D == d
            by_D[f'{d:.3g}'] = round(abs(float(spearman(mu[m, best_a0], al[m]))), 3)
    sweep = None
    best_a = int(ra.idxmax()) if len(surv) else None  # sweep the most α-like survivor even below 0.9
    if a.sweep and best_a is not None:
        base = mu.mean(0)  # the other neurons at the data's mean
        fits = sweep_neuron(learn.model, best_a, base=base, samples=100, T=200, seed=a.seed)
        at = fits.alpha_ta.to_numpy()
        sweep = dict(neuron=best_a, alpha_ta=[round(float(v), 3) for v in at], alpha_min=round(float(np.nanmin(at)), 3),
                     alpha_max=round(float(np.nanmax(at)), 3), monotonic=bool(monotonic(at)))
    s0 = log[a.stage0 - 1]
    res = dict(settings=vars(a), stages=stages, n_epoch=n_epoch, data_s=round(t_data, 1), train_min=round(t_train/60, 2),
               stage0_r2_alpha=s0['r2_alpha'], stage0_r2_logD=s0['r2_logD'], stage0_valid=s0['valid_loss'],
               final_valid=log[-1]['valid_loss'], survivors=surv.index.tolist(),
               kl=[round(float(k), 4) for k in ro.kl], rho_alpha=ra.round(3).to_dict(), rho_logD=rd.round(3).to_dict(),
               alpha_neuron=a_n, D_neuron=d_n, found=found, sweep=sweep, rho_alpha_by_D=by_D,
               restored=next((c.restored for c in cbs if isinstance(c, RestoreBest)), []),
               enc_lr_seen=next((c.seen for c in cbs if isinstance(c, EncoderLR)), {}), log=log)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1))
    print(json.dumps({k: v for k, v in res.items() if k not in ('log', 'settings')}))

if __name__ == '__main__': main()
