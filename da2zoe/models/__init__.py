from .backbones import *  # noqa: F401,F403
from .data_preprocessor import *  # noqa: F401,F403
from .depthers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
