"""Projector: features -> bin embeddings."""
from mmengine.model import BaseModule
from torch import Tensor, nn


class Projector(BaseModule):
    """Two-layer 1x1-conv MLP mapping features to a bin embedding.

    ``_net.0`` (1x1 conv) -> ReLU -> ``_net.2`` (1x1 conv), no final
    activation: ZoeDepth's ``Projector`` with the same parameter names.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Embedding channels (``bin_embedding_dim``).
        mlp_dim (int): Hidden width. Defaults to 128.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mlp_dim: int = 128,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self._net = nn.Sequential(
            nn.Conv2d(in_channels, mlp_dim, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(mlp_dim, out_channels, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Project features (B, C, h, w) to embeddings (B, E, h, w)."""
        return self._net(x)
