"""The code picture: ``cat_tau(W_in)`` as a coloured grid (hidden units x inputs), the bias code beside it, and
the readout code ``cat_tau(W_out)`` (hidden units x outputs) with each output's channel marked."""

from __future__ import annotations

import io

import numpy as np

__all__ = ["plot_code"]


def plot_code(it, path=None) -> bytes:
    """Render the code of an :class:`~capacity.interpret.analysis.Interpretation` as PNG bytes (and write them to
    ``path`` if given). matplotlib (Agg) is imported here only."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    code = it.code
    S_in = np.asarray(code["S_in"])
    S_b = np.asarray(code["S_b_in"])[:, None]
    S_out = np.asarray(code["S_out"]).T  # (last width, F)
    n, m = S_in.shape
    F = S_out.shape[1]
    cmap = ListedColormap(["#3b6fb6", "#ffffff", "#c8452f"])  # -1 blue, 0 white, +1 red
    w = 2.0 + 0.45 * (m + 1 + F)
    h = 1.6 + 0.4 * max(n, S_out.shape[0])
    fig = Figure(figsize=(w, h), dpi=100)
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(1, 3, width_ratios=[max(m, 1), 1, max(F, 1)], wspace=0.35)
    axes = [fig.add_subplot(gs[0, k]) for k in range(3)]
    for ax, S, title, xl in ((axes[0], S_in, "cat_tau(W_in)", [f"x{i}" for i in range(m)]),
                             (axes[1], S_b, "b_in", ["b"]),
                             (axes[2], S_out, "cat_tau(W_out)^T", [f"y{f}" for f in range(F)])):
        ax.imshow(S, cmap=cmap, vmin=-1, vmax=1, aspect="equal", interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(S.shape[1]), xl, fontsize=7, rotation=90 if S.shape[1] > 12 else 0)
        ax.set_yticks(range(S.shape[0]), [str(u) for u in range(S.shape[0])], fontsize=7)
        ax.set_xticks(np.arange(-0.5, S.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, S.shape[0]), minor=True)
        ax.grid(which="minor", color="#999999", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    axes[0].set_ylabel("hidden unit (layer 1)", fontsize=8)
    axes[2].set_ylabel(f"hidden unit (layer {it.degrees['layer']})", fontsize=8)
    for f, o in enumerate(it.outputs):
        for u in o.get("channel", []):
            axes[2].plot([f], [u], marker="o", markersize=6, markerfacecolor="black", markeredgecolor="white")
        for u in o.get("off_channel", []):
            axes[2].plot([f], [u], marker="o", markersize=6, markerfacecolor="none", markeredgecolor="black")
    fig.suptitle(f"code at tau = {code['tau']:.4g}  (red +, blue -, white 0; filled dots: channel, "
                 "rings: off-channel)", fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight")
    data = buf.getvalue()
    if path is not None:
        from .._files import write_atomic

        write_atomic(path, data)
    return data
