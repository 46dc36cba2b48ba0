"""Draw the SPIVAE architecture (nbs/images/architecture.png) with matplotlib: boxes and arrows, no other dependency.

Encoder orange, latent neurons blue, decoder and WaveNet green, data grey, as in the models page's description. The
numbers are those of the seed model (z_dim 6, nf [16]*4, encoder [200, 100], decoder [100, 200], res/skip channels 16,
c_channels 6, res_kernel_size 3, layer_size 4, one Gaussian): receptive field 32.

Run: `python tools/draw_architecture.py` (writes nbs/images/architecture.png; `--out` to write elsewhere).
"""
import argparse
from pathlib import Path
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Circle

ROOT = Path(__file__).resolve().parent.parent
C = dict(enc=('#FDE6CC', '#D9822B'), lat=('#DCEAF9', '#2F6DB5'), dec=('#DFF1E1', '#2E8B57'), wn=('#EEF8EF', '#2E8B57'),
         block=('#FFFFFF', '#2E8B57'), data=('#F1F1F1', '#6B6B6B'), loss=('#FBE9E9', '#B03A2E'))
INK = '#222222'

def box(ax, x, y, w, h, kind, title=None, lines=(), size=8.5, title_size=9.5, dy=2.3, top_pad=1.9):
    "A rounded box at (x, y) (lower left) of size (w, h) with a bold title and centred lines under it"
    fc, ec = C[kind]
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle='round,pad=0.25,rounding_size=1.0', fc=fc, ec=ec, lw=1.4))
    ty = y + h - top_pad
    if title:
        ax.text(x + w/2, ty, title, ha='center', va='center', fontsize=title_size, fontweight='bold', color=ec)
        ty -= dy + 0.3
    for l in lines:
        ax.text(x + w/2, ty, l, ha='center', va='center', fontsize=size, color=INK)
        ty -= dy
    return x, y, w, h

def arrow(ax, p, q, color=INK, lw=1.3, style='-|>', rad=0., ls='-'):
    "An arrow from point p to point q"
    ax.annotate('', xy=q, xytext=p, arrowprops=dict(arrowstyle=style, color=color, lw=lw, shrinkA=0, shrinkB=0, ls=ls,
                                                    mutation_scale=11, connectionstyle=f'arc3,rad={rad}'))

def label(ax, x, y, s, size=8, color=INK, **kw):
    ax.text(x, y, s, fontsize=size, color=color, **kw)

def draw(out:Path):
    fig = plt.figure(figsize=(11, 6.2))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 110); ax.set_ylim(0, 62); ax.axis('off')
    green = C['dec'][1]

    # top row: the VAE that turns a trajectory into a time-resolved conditioning
    label(ax, 1.5, 59.6, 'VAE: trajectory → latent neurons → conditioning', size=9, color='#555555', style='italic')
    box(ax, 1.5, 42, 13, 14, 'data', 'Input', ['Δx(t)', 'displacements', 'B × 1 × T'])
    box(ax, 19, 42, 22, 14, 'enc', 'Encoder', ['Conv1d ×4 (k = 3) + ReLU', 'adaptive concat pool', 'Dense 200 → 100 (ReLU)',
                                               'Dense → 2·z_dim'])
    box(ax, 45.5, 42, 21, 14, 'lat', 'Latent neurons', ['μ, log σ²  (z_dim = 6)', '', '', 'z = μ + σ·ε,  ε ~ N(0, 1)'])
    for i in range(6):  # two informative neurons (dark) and noised ones (light), as after β annealing
        fc = C['lat'][1] if i in (1, 4) else '#A9C8EC'
        ax.add_patch(Circle((49 + 2.8*i, 48.9), 0.95, fc=fc, ec=C['lat'][1], lw=0.8))
    box(ax, 71, 42, 21, 14, 'dec', 'Decoder', ['Dense 100 → 200 (ReLU)', 'interpolate to length T',
                                               'ConvTranspose1d ×4 + ReLU'])
    box(ax, 96, 42, 12.5, 14, 'dec', 'c(t)', ['conditioning', 'B × c_channels × T', '(c_channels = 6)'])
    for x0, x1 in ((14.75, 18.75), (41.25, 45.25), (66.75, 70.75), (92.25, 95.75)):
        arrow(ax, (x0, 49), (x1, 49))

    # bottom row: the WaveNet that predicts each next displacement from the past ones and c
    box(ax, 19, 8.5, 73, 27, 'wn')
    label(ax, 55.5, 33.4, 'WaveNet decoder (autoregressive)   —   receptive field RF = 32 = 2 + 2·(1 + 2 + 4 + 8) steps',
          size=9.5, color=green, ha='center', va='center', fontweight='bold')
    y0, h = 18.5, 9
    box(ax, 1.5, y0 - 1.5, 13, h + 3, 'data', 'Past steps', ['Δx(t′), t′ ≤ t', 'B × 1 × T'])
    arrow(ax, (8, 41.75), (8, y0 + h + 1.75))
    label(ax, 9, 35.2, 'the same steps\n(teacher forcing;\ngenerating: its\nown samples)', size=7, color='#555555', va='center')
    chain = [(21.5, 8, '1×1 conv', ['init']), (31.5, 9, 'causal conv', ['mask A, k = 2'])]
    chain += [(42.5 + 8.4*i, 7.4, 'res. block', [f'dilation {d}']) for i, d in enumerate((1, 2, 4, 8))]
    for (x, w, t, ls) in chain:
        box(ax, x, y0, w, h, 'block', t, ls, size=7.5, title_size=8, dy=2.0, top_pad=2.4)
    arrow(ax, (14.75, y0 + h/2), (21.25, y0 + h/2))
    for (xa, wa, *_), (xb, *_) in zip(chain[:-1], chain[1:]):
        arrow(ax, (xa + wa + 0.25, y0 + h/2), (xb - 0.25, y0 + h/2))
    # c enters every residual block through a 1x1 convolution
    label(ax, 103.2, 38.3, 'c', size=9, color=green, fontweight='bold')
    ax.plot([102.25, 102.25, 46.2], [41.75, 30.2, 30.2], color=green, lw=1.3)
    for i in range(4):
        arrow(ax, (46.2 + 8.4*i, 30.2), (46.2 + 8.4*i, y0 + h + 0.25), color=green)
    label(ax, 47, 31.0, 'c added in every block (1×1 conv)', size=7.5, color=green)
    # skip connections summed, then the output head
    bus = 15.2
    for i in range(4):
        ax.plot([46.2 + 8.4*i]*2, [y0 - 0.25, bus], color=INK, lw=1.2)
    ax.plot([46.2, 83.75], [bus, bus], color=INK, lw=1.2)
    arrow(ax, (83.75, bus), (83.75, y0 - 0.25))
    label(ax, 58.8, 13.4, 'skip outputs (1×1 conv), summed', size=7.5, ha='center')
    label(ax, 81.2, 15.9, 'Σ', size=9)
    box(ax, 77.5, y0, 12.5, h, 'block', 'output head', ['ReLU · 1×1 ·', 'ReLU · 1×1'], size=7.5, title_size=8, dy=2.0,
        top_pad=2.4)
    box(ax, 96, 12, 12.5, 15, 'data', 'Next step', ['Gaussian of', 'Δx(t + 1):', 'mixture logit,', 'mean, log-scale',
                                                    '(3 channels)'], size=7.5, dy=2.0)
    arrow(ax, (90.25, y0 + h/2), (95.75, y0 + h/2))
    # one residual block in detail
    label(ax, 55.5, 10.4, 'residual block:  h → dilated conv (k = 3, dilation d) → [a, b] + 1×1 conv(c) → a · σ(b) → '
          '1×1 conv, + h (residual);  1×1 conv → skip', size=7.5, color=green, ha='center')

    # the objective
    box(ax, 19, 0.8, 73, 5.2, 'loss')
    label(ax, 55.5, 3.4, 'Loss  =  NLL of the steps after the receptive field (t > RF)   +   β · KL( q(z | Δx) ‖ N(0, 1) )',
          size=9.5, color=C['loss'][1], ha='center', va='center', fontweight='bold')
    label(ax, 96.2, 5.9, 'β raised in stages:\nall neurons but a few\nare noised out\n(light blue)', size=7.5, color=C['loss'][1], va='center')

    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, facecolor='white')
    plt.close(fig)
    return out

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=str(ROOT/'nbs'/'images'/'architecture.png'))
    print(draw(Path(p.parse_args().out)))
