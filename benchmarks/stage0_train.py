"""Experiment: train only the β = 0 stage of `reproduce.py --process fbm`, and follow what the latent space holds (issue 5).

Whether a reproduction run finds the α neuron is decided by the end of β = 0 (`stage0_probe.py`). This trains that
stage alone on the same data, split, initial weights and batch order as `reproduce.py --seed S` (the same `--data`
cache can be reused), one learning-rate cycle, with the held-out R² of α and of log D on the validation latent means
(`spivae.readout.LatentR2`, quadratic) as columns of the epoch table. Two variations:
- `--from CHECKPOINT`: continue a stage-0 checkpoint instead (more β = 0 epochs for a run that missed α);
- `--input-drop P`: in training, each displacement the WaveNet reads is replaced by 0 with probability P (the
  encoder still sees all of them). An autoregressive decoder that can infer α from its own past has little reason
  to take α from the latent space; dropping part of that past (word dropout, Bowman et al., CoNLL 2016) makes the
  latent route pay.

Run: `python benchmarks/stage0_train.py --seed 2 --epochs 45 --input-drop 0.3 --out stage0_s2.safetensors`
(about 25 minutes on 2 cores); the saved model can be probed with `stage0_probe.py`.
"""
import argparse, sys, tempfile
from pathlib import Path
import numpy as np, torch
from fastai.basics import Callback
from fastai.torch_core import set_seed
sys.path.insert(0, str(Path(__file__).parent))
from reproduce import model_args_for
from spivae.data import load_data
from spivae.models import VAEWaveNet
from spivae.readout import LatentR2
from spivae.train import spivae_learner, load_checkpoint, save_model

class InputDrop(Callback):
    "In training, replace each input step of the WaveNet (not of the encoder) by 0 with probability `p`"
    def __init__(self, p): self.p = p
    def before_fit(self):
        def drop(mod, inp):
            if not mod.training: return None
            x = inp[0]
            return (x*(torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p),)
        self.hook = self.learn.model.init_conv.register_forward_pre_hook(drop)
    def after_fit(self): self.hook.remove()

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seed', type=int, default=0, help="reproduce.py's --seed: data, split, weights, batch order")
    p.add_argument('--data', default=None, help='cache folder of the trajectories (default: a temporary folder)')
    p.add_argument('--per-pair', type=int, default=150)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--epochs', type=int, default=45)
    p.add_argument('--input-drop', type=float, default=0., help='probability of dropping each WaveNet input step')
    p.add_argument('--from', dest='start', default=None, help='a stage-0 checkpoint to continue')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', required=True, help='where to save the trained model (.safetensors)')
    a = p.parse_args()
    if not 0 <= a.input_drop < 1: p.error(f"--input-drop must be in [0, 1), got {a.input_drop}")
    if a.epochs < 1: p.error(f"--epochs must be at least 1, got {a.epochs}")
    if a.start and not Path(a.start).is_file(): p.error(f"--from: no file {a.start}")
    if Path(a.out).exists(): p.error(f"{a.out} exists: choose another --out")
    torch.set_num_threads(a.threads)
    T, D = 400, np.geomspace(1e-5, 1e-2, 10)
    dls = load_data(dict(path=Path(a.data or tempfile.mkdtemp(prefix='spivae_data_')), model='fbm', N=a.per_pair, T=T,
                         D=D, alpha=np.linspace(0.2, 1.8, 21), seed=a.seed, valid_pct=0.2, bs=a.bs,
                         N_save=a.per_pair*len(D), T_save=T, device='cpu'))
    margs = model_args_for(T)
    set_seed(a.seed)  # as reproduce.py does right before building the model
    model = VAEWaveNet(**margs)
    if a.start: model.load_state_dict(load_checkpoint(a.start)[0].state_dict())
    learn = spivae_learner(dls, model, metrics=[LatentR2('alpha'), LatentR2('D')],
                           cbs=[InputDrop(a.input_drop)] if a.input_drop else [])
    learn.fit_one_cycle(a.epochs, lr_max=a.lr)
    save_model(a.out, learn.model, margs)

if __name__ == '__main__': main()
