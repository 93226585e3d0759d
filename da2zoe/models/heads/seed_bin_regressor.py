"""Seed bin regressor: the first set of bin centres, from the bottleneck."""
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

from .precision import run_with_float32_tail


class SeedBinRegressor(BaseModule):
    """Predicts per-pixel depth-bin centres from coarse features.

    A two-layer 1x1-conv MLP (``_net.0``, ``_net.2``; ZoeDepth's names) gives
    ``n_bins`` values per pixel. Two kinds, as ZoeDepth's
    ``SeedBinRegressor`` / ``SeedBinRegressorUnnormed``:

    - ``normed=True``: v = ReLU(MLP) + 1e-3; the widths v / sum(v) (returned
      first) are scaled by ``max_depth - min_depth``, ``min_depth`` is
      prepended, the cumulative sum gives the edges and the centres are the
      midpoints of consecutive edges: sorted and inside [min, max].
    - ``normed=False``: Softplus(MLP) *are* the centres, in metres, unsorted
      and unbounded. The first return value is then None.

    Args:
        in_channels (int): Input channels.
        n_bins (int): Number of bins. Defaults to 16.
        mlp_dim (int): Hidden width of the MLP. Defaults to 256.
        min_depth (float): Lower depth bound in metres. Defaults to 1e-3.
        max_depth (float): Upper depth bound in metres. Defaults to 10.
        normed (bool): Normalised widths (True) or Softplus centres (False).
            Defaults to True.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    width_eps = 1e-3

    def __init__(self,
                 in_channels: int,
                 n_bins: int = 16,
                 mlp_dim: int = 256,
                 min_depth: float = 1e-3,
                 max_depth: float = 10.0,
                 normed: bool = True,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.min_depth = min_depth
        self.max_depth = max_depth
        self.normed = normed
        self._net = nn.Sequential(
            nn.Conv2d(in_channels, mlp_dim, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(mlp_dim, n_bins, 1),
            nn.ReLU(inplace=True) if normed else nn.Softplus(),
        )

    def forward(self, x: Tensor) -> tuple[Tensor | None, Tensor]:
        """Regress the seed bins.

        Args:
            x (Tensor): Features (B, C, h, w).

        Returns:
            tuple[Tensor | None, Tensor]: Normalised widths (B, n_bins, h, w)
            (None when ``normed`` is False) and bin centres (B, n_bins, h, w)
            in metres.
        """
        out = run_with_float32_tail(self._net, x)
        if not self.normed:
            return None, out
        out = out + self.width_eps
        widths_normed = out / out.sum(dim=1, keepdim=True)
        widths = (self.max_depth - self.min_depth) * widths_normed
        widths = F.pad(widths, (0, 0, 0, 0, 1, 0), value=self.min_depth)
        edges = widths.cumsum(dim=1)
        centers = 0.5 * (edges[:, :-1] + edges[:, 1:])
        return widths_normed, centers
