"""The TopoJSON decoder behind scripts/build-country-shapes, on a tiny hand-made topology."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import math
from pathlib import Path

import pytest

from healthbridge.web import topojson
from healthbridge.web.topojson import Box, Projection

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build-country-shapes"

# Two unit squares side by side sharing one border (arc 0), quantised with scale 1 and
# translate (10, 20): country A is [10, 11] x [20, 21], country B is [11, 12] x [20, 21].
TOPOLOGY = {
    "type": "Topology",
    "transform": {"scale": [1, 1], "translate": [10, 20]},
    "arcs": [
        [[1, 0], [0, 1]],  # shared border: (11, 20) -> (11, 21)
        [[1, 1], [-1, 0], [0, -1], [1, 0]],  # A: (11, 21) (10, 21) (10, 20) (11, 20)
        [[1, 0], [1, 0], [0, 1], [-1, 0]],  # B: (11, 20) (12, 20) (12, 21) (11, 21)
    ],
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "id": "001", "arcs": [[0, 1]]},
                {"type": "MultiPolygon", "id": "002", "arcs": [[[2, -1]]]},
                {"type": "Polygon", "arcs": [[1]]},  # no id: ignored
                {"type": "Point", "id": "003", "coordinates": [0, 0]},
            ],
        }
    },
}


def test_arcs_are_delta_decoded_and_transformed() -> None:
    arcs = topojson.decode_arcs(TOPOLOGY)
    assert arcs[0] == [(11, 20), (11, 21)]
    assert arcs[1] == [(11, 21), (10, 21), (10, 20), (11, 20)]
    assert arcs[2] == [(11, 20), (12, 20), (12, 21), (11, 21)]
    scaled = topojson.decode_arcs(
        {"transform": {"scale": [0.5, 2], "translate": [-1, 1]}, "arcs": [[[2, 1], [2, -1]]]}
    )
    assert scaled == [[(0.0, 3.0), (1.0, 1.0)]]
    assert topojson.decode_arcs({"arcs": [[[1.5, 2.5]]]}) == [[(1.5, 2.5)]]


def test_rings_join_arcs_and_reverse_negative_indices() -> None:
    arcs = topojson.decode_arcs(TOPOLOGY)
    a = topojson.ring(arcs, [0, 1])
    assert a == [(11, 20), (11, 21), (10, 21), (10, 20), (11, 20)]
    b = topojson.ring(arcs, [2, -1])  # ~0: the shared border walked backwards
    assert b == [(11, 20), (12, 20), (12, 21), (11, 21), (11, 20)]
    assert topojson.area(a) == topojson.area(b) == 1
    assert topojson.centroid(a) == pytest.approx((10.5, 20.5))
    assert topojson.centroid([(0, 0), (1, 1), (2, 2)]) == (1, 1)  # flat: the mean
    geometry = TOPOLOGY["objects"]["countries"]["geometries"]  # type: ignore[index]
    assert topojson.polygons(geometry[1], arcs) == [[b]]
    assert topojson.polygons(geometry[3], arcs) == []


def test_projection_is_equirectangular_and_clipped() -> None:
    project = Projection(Box(west=10, south=20, east=12, north=21), width=200)
    assert project((10, 21)) == (0, 0)
    assert project((12, 20)) == (200, pytest.approx(project.height))
    # Out of the box: clamped to its edge.
    assert project((50, -40)) == project((12, 20))
    # y is stretched by 1 / cos(middle latitude) against x.
    assert project.height == pytest.approx(100 / math.cos(math.radians(20.5)), rel=1e-9)
    assert project.view_box() == "0 0 200 106.8"


def test_simplify_drops_points_near_the_line_only() -> None:
    line = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)]
    assert topojson.simplify(line, 0.5) == [(0.0, 0.0), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)]
    assert topojson.simplify(line, 0.01) == line
    assert topojson.simplify(line[:2], 10) == line[:2]


def test_country_shapes_give_one_path_per_code() -> None:
    project = Projection(Box(west=10, south=20, east=12, north=21), width=200)
    shapes = topojson.country_shapes(
        TOPOLOGY, "countries", {"001": "AAA", "002": "BBB"}, project, tolerance=0.1, min_area=1
    )
    assert shapes["viewBox"] == "0 0 200 106.8"
    assert shapes["countries"] == {
        "AAA": "M100 106.8L100 0L0 0L0 106.8Z",
        "BBB": "M100 106.8L200 106.8L200 0L100 0Z",
    }
    assert shapes["centres"] == {"AAA": [50, 53.4], "BBB": [150, 53.4]}
    placed = topojson.country_shapes(
        TOPOLOGY, "countries", {"001": "AAA"}, project, markers={"AAA": (10.25, 21)}
    )
    assert placed["centres"] == {"AAA": [25, 0]}
    # Rings smaller than min_area (square units of the canvas) are left out.
    tiny = topojson.country_shapes(TOPOLOGY, "countries", {"001": "AAA"}, project, min_area=1e9)
    assert tiny["countries"] == {"AAA": ""}
    with pytest.raises(KeyError, match="004"):
        topojson.country_shapes(TOPOLOGY, "countries", {"004": "DDD"}, project)


def test_the_script_writes_region_json(tmp_path: Path) -> None:
    loader = importlib.machinery.SourceFileLoader("build_country_shapes", str(SCRIPT))
    spec = importlib.util.spec_from_loader("build_country_shapes", loader)
    assert spec is not None
    script = importlib.util.module_from_spec(spec)
    loader.exec_module(script)
    assert len(script.COUNTRIES) == 14 and script.COUNTRIES["702"] == "SGP"
    source = tmp_path / "tiny.json"
    source.write_text(json.dumps(TOPOLOGY), encoding="utf-8")
    output = tmp_path / "region.json"
    with pytest.raises(KeyError):  # the tiny topology lacks the 14 countries
        script.main([str(source), "--output", str(output)])
    assert not output.exists()
