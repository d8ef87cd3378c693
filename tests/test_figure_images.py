"""charts.png: the tight crop savefig makes, drawn once, as a palette PNG the same to the eye."""
import io

import numpy as np
import pandas as pd
from PIL import Image

from pplib.figures import charts


def _chart():
    table = pd.DataFrame({"type": ["labour", "sexual", "criminal", "domestic servitude"], "count": [24, 3, 11, 7]})
    return charts.bar(table, "type", "count", "Recorded crimes by type", "Source: a caption long enough " * 6,
                      finding="Labour has the most crimes (24)")


def _tight_crop(figure) -> np.ndarray:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=charts.DPI, bbox_inches="tight")
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_png_is_the_tight_crop_in_a_palette():
    expected = _tight_crop(_chart())  # savefig's own bbox="tight": an extra draw before cropping
    image = Image.open(io.BytesIO(charts.png(_chart())))
    assert image.mode == "P"
    assert np.array_equal(np.asarray(image.convert("RGB")), expected)  # a chart's few colours, exactly


def test_png_of_many_colours_stays_close():
    fig, ax = charts.plt.subplots()
    ax.imshow(np.linspace(0, 1, 400 * 300).reshape(300, 400), cmap="viridis")
    ax.set_title("A gradient of more than 256 colours", loc="left")
    drawn = np.asarray(Image.open(io.BytesIO(charts.png(fig))).convert("RGB")).astype(int)
    fig, ax = charts.plt.subplots()
    ax.imshow(np.linspace(0, 1, 400 * 300).reshape(300, 400), cmap="viridis")
    ax.set_title("A gradient of more than 256 colours", loc="left")
    expected = _tight_crop(fig).astype(int)
    assert drawn.shape == expected.shape
    assert np.abs(drawn - expected).mean() < 2


def test_no_figure_gives_no_bytes():
    assert charts.png(None) == b""
