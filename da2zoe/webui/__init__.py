"""The browser demo: upload a photo, see its metric depth, a 3-D view and
downloads (``tools/webui.py``). The Gradio-free core is
:class:`DepthDemo`; :func:`build_app` lays the page out around it."""
from .app import build_app, launch
from .examples import write_examples
from .session import DepthDemo, Prediction, Rendered, View
from .uploads import UploadError, UploadLimits, read_upload

__all__ = [
    'build_app', 'launch', 'write_examples', 'DepthDemo', 'Prediction',
    'Rendered', 'View', 'UploadError', 'UploadLimits', 'read_upload'
]
