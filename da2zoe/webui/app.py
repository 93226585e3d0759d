"""The Gradio page of the web demo: layout and wiring around
:class:`da2zoe.webui.session.DepthDemo`."""
from typing import List, Optional, Sequence

import gradio as gr

from da2zoe.analysis.cpu import cpu_info
from da2zoe.structures.patch_grid import PATCH_SIZE
from .session import DepthDemo, Prediction, View
from .uploads import UploadError, upload_path

FOV_MODE, PINHOLE_MODE = 'field of view', 'fx fy cx cy'
MAX_FILE_SIZE = '50mb'
IMAGE_HEIGHT = 360
STATE_TTL_S = 1800
MAX_SESSIONS = 256
# Babylon's (alpha, beta, radius): a little from the right and above, so
# the relief shows at first sight.
CAMERA_ANGLES = (-60.0, 70.0, None)
# System fonts: the default theme's web fonts cannot load on a closed
# network and would only delay the page.
THEME = gr.themes.Default(
    font=['ui-sans-serif', 'system-ui', 'sans-serif'],
    font_mono=['ui-monospace', 'monospace'])
INTRO = ('Upload or drop a photo (or pick a synthetic room below): the page '
         'shows metric depth in metres, its colour scale, the image beside '
         'it, a 3-D view of the back-projected pixels and files to '
         'download.')


def _view(max_depth, mode, hfov, fx, fy, cx, cy) -> View:
    pinhole = (fx, fy, cx, cy) if mode == PINHOLE_MODE else None
    return View(max_depth=float(max_depth or 0), hfov=float(hfov),
                pinhole=pinhole)


def _outputs(demo: DepthDemo, prediction: Prediction, view: View) -> tuple:
    try:
        shown = demo.render(prediction, view)
    except ValueError as err:  # bad intrinsics typed by the user
        raise gr.Error(str(err), duration=None) from None
    return (shown.color, shown.colorbar, shown.stats,
            (prediction.rgb, shown.color), shown.mesh, shown.files)


def build_app(demo: DepthDemo,
              examples: Sequence[str] = (),
              title: str = 'da2zoe metric depth',
              description: Optional[str] = None) -> gr.Blocks:
    """The page: input, depth with colour bar, numbers, options, image |
    depth comparison, 3-D view, downloads and examples.

    Args:
        demo (DepthDemo): The model and its rules.
        examples (Sequence[str]): Example image files.
        title (str): Page title.
        description (str, optional): A line under the title (e.g. the
            model's config and checkpoint).

    Returns:
        gr.Blocks: The app; launch it with :func:`launch`.
    """
    size = demo.default_input_size
    cpu = cpu_info()
    with gr.Blocks(title=title, analytics_enabled=False,
                   delete_cache=(3600, 3600)) as blocks:
        gr.Markdown(f'# {title}\n{INTRO}' +
                    (f'\n\n{description}' if description else ''))
        # Each browser session keeps its last prediction (image + depth, a
        # few MB) for redraws; bounded in time and count (see launch).
        state = gr.State(None, time_to_live=STATE_TTL_S)
        with gr.Row(equal_height=True):
            image = gr.Image(label='Image', type='filepath',
                                sources=['upload', 'clipboard'],
                                height=IMAGE_HEIGHT, elem_id='input-image')
            depth = gr.Image(label='Metric depth', format='png',
                             interactive=False, height=IMAGE_HEIGHT,
                             elem_id='depth-image')
        colorbar = gr.HTML(elem_id='colorbar-box')
        stats = gr.Markdown(elem_id='depth-stats')
        run = gr.Button('Estimate depth', variant='primary', elem_id='run')
        with gr.Accordion('Options', open=False):
            with gr.Row():
                flip = gr.Checkbox(label='Flip TTA', value=False,
                                   info='average with the mirrored image')
                bf16 = gr.Checkbox(
                    label='bf16 autocast', value=False,
                    interactive=demo.native_bf16,
                    info=('native bf16 on this device' if demo.native_bf16
                          else 'off: this CPU has no native bf16, where it '
                          'is slower than float32'))
                input_size = gr.Slider(
                    minimum=min(10 * PATCH_SIZE, size),
                    maximum=max(73 * PATCH_SIZE, size), step=PATCH_SIZE,
                    value=size, interactive=not demo.fixed_size, label=(
                        'Input size (set by the model: it resizes every '
                        'image itself)' if demo.fixed_size else
                        'Input size (longest side, process_res)'
                        if demo.takes_process_res else
                        f'Input size (short side, multiple of {PATCH_SIZE})'),
                    elem_id='input-size')
                max_depth = gr.Number(
                    value=0, minimum=0, label='Max depth of the colour scale '
                    '(m, 0 = automatic)', elem_id='max-depth')
            with gr.Row():
                mode = gr.Radio(
                    [FOV_MODE, PINHOLE_MODE], value=FOV_MODE,
                    label=('Camera (scales the metric depth, 3-D view, .ply)'
                           if demo.camera_scaled else
                           'Camera for the 3-D view and .ply'))
                hfov = gr.Slider(minimum=20, maximum=150, step=0.5, value=63,
                                 label='Horizontal field of view (degrees)')
                fx, fy, cx, cy = (gr.Number(value=0, label=f'{name} (px)')
                                  for name in ('fx', 'fy', 'cx', 'cy'))
        with gr.Row(equal_height=True):
            compare = gr.ImageSlider(label='Image | depth', format='png',
                                     elem_id='compare')
            view3d = gr.Model3D(label='3-D view (drag to turn)',
                                clear_color=[0.1, 0.1, 0.1, 1.0],
                                camera_position=CAMERA_ANGLES,
                                elem_id='view3d')
        files = gr.File(label='Downloads: 16-bit PNG (mm), .npy (m), .ply, '
                        'colour PNG, .glb', file_count='multiple',
                        interactive=False, elem_id='downloads')
        if examples:
            gr.Examples(examples=[[p] for p in examples], inputs=image,
                        label='Synthetic rooms (rendered offline)')
        gr.Markdown(f'<small>{cpu.describe()}</small>')

        view_inputs = [max_depth, mode, hfov, fx, fy, cx, cy]
        shown = [depth, colorbar, stats, compare, view3d, files]

        def estimate(upload, size_value, flip_value, bf16_value,
                     *view_values):
            if upload is None:
                return (None, ) * (1 + len(shown))
            try:
                path, name = upload_path(upload, demo.out_root)
                rgb = demo.read(path, int(size_value), name)
                prediction = demo.predict(rgb, name, int(size_value),
                                          flip_value, bf16_value,
                                          _view(*view_values))
            except (UploadError, ValueError) as err:
                raise gr.Error(str(err), duration=None) from None
            return (prediction,
                    *_outputs(demo, prediction, _view(*view_values)))

        def redraw(prediction, *view_values):
            if prediction is None:
                return tuple(gr.skip() for _ in shown)
            return _outputs(demo, prediction, _view(*view_values))

        predict_inputs = [image, input_size, flip, bf16, *view_inputs]
        for trigger in (image.change, run.click):
            # Raw payloads: Gradio's own decoding of the upload fails with a
            # bare "Error" on a non-image; the demo reads it and says why.
            trigger(estimate, predict_inputs, [state, *shown],
                    concurrency_id='model', preprocess=False)
        # A canonical-camera model's depth depends on the camera: its camera
        # controls predict again; the colour scale only redraws.
        for index, control in enumerate(view_inputs):
            if demo.camera_scaled and index > 0:  # all but max_depth
                control.change(estimate, predict_inputs, [state, *shown],
                               concurrency_id='model', preprocess=False)
            else:
                control.change(redraw, [state, *view_inputs], shown,
                               concurrency_id='model')
    return blocks


def launch(blocks: gr.Blocks,
           host: str = '127.0.0.1',
           port: int = 7860,
           share: bool = False,
           allowed_paths: Optional[List[str]] = None,
           block: bool = True) -> None:
    """Serves the app.

    Args:
        blocks (gr.Blocks): From :func:`build_app`.
        host (str): Interface to listen on (``0.0.0.0``: every one).
            Defaults to ``'127.0.0.1'``.
        port (int): Port. Defaults to 7860.
        share (bool): Also open a public link through Gradio's free share
            service (needs internet). Defaults to False.
        allowed_paths (list[str], optional): Folders whose files the page
            may serve (examples, downloads).
        block (bool): Serve until interrupted (False: return at once, the
            server runs in a thread until ``blocks.close()``).
    """
    blocks.queue(default_concurrency_limit=1)
    blocks.launch(server_name=host, server_port=port, share=share,
                  allowed_paths=allowed_paths, max_file_size=MAX_FILE_SIZE,
                  ssr_mode=False, prevent_thread_lock=not block, quiet=True,
                  show_error=True, theme=THEME,
                  state_session_capacity=MAX_SESSIONS)
