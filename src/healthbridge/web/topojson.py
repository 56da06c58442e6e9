"""Decoding TopoJSON country boundaries into SVG paths, for the situation room's map.

Used by ``scripts/build-country-shapes`` (run by hand when the vendored boundaries change), never
at run time. A TopoJSON topology stores each shared border once, as an *arc*: a list of quantised
positions, each after the first given as a difference from the previous one (see the TopoJSON
specification, "Arcs" and "Transforms"). A polygon is a list of rings, a ring a list of arc
indices, where ``~i`` (that is ``-i - 1``) means arc ``i`` walked backwards.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]
Ring = list[Point]


@dataclass(frozen=True)
class Box:
    """A longitude/latitude bounding box, in degrees."""

    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection of ``box`` onto a ``width``-wide SVG canvas (y downwards),
    with x shrunk by the cosine of the box's middle latitude so that shapes keep their look."""

    box: Box
    width: float = 1000.0

    @property
    def x_scale(self) -> float:
        return self.width / (self.box.east - self.box.west)

    @property
    def y_scale(self) -> float:
        middle = math.radians((self.box.south + self.box.north) / 2)
        return self.x_scale / math.cos(middle)

    @property
    def height(self) -> float:
        return (self.box.north - self.box.south) * self.y_scale

    def __call__(self, point: Point) -> Point:
        """The canvas position of ``(longitude, latitude)``, clipped (clamped) to the box."""
        lon = min(max(point[0], self.box.west), self.box.east)
        lat = min(max(point[1], self.box.south), self.box.north)
        return (lon - self.box.west) * self.x_scale, (self.box.north - lat) * self.y_scale

    def view_box(self) -> str:
        """The SVG ``viewBox`` of the canvas."""
        return f"0 0 {_number(self.width)} {_number(self.height)}"


def decode_arcs(topology: Mapping[str, Any]) -> list[list[Point]]:
    """Every arc of ``topology`` as absolute ``(longitude, latitude)`` positions.

    A quantised topology (one with a ``transform``) has delta-encoded arcs: the running sum of
    the differences, scaled and translated. Without a transform, positions are taken as given.
    """
    transform = topology.get("transform")
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points: list[Point] = []
        for position in arc:
            x += position[0]
            y += position[1]
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: Sequence[Sequence[Point]], indices: Iterable[int]) -> Ring:
    """The closed ring made of the arcs ``indices`` (``~i``: arc ``i`` reversed); each arc after
    the first starts where the previous one ended, so that shared position is kept once."""
    points: Ring = []
    for index in indices:
        arc = list(arcs[index]) if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def polygons(geometry: Mapping[str, Any], arcs: Sequence[Sequence[Point]]) -> list[list[Ring]]:
    """The polygons (each a list of rings, the first the outer one) of a Polygon or
    MultiPolygon geometry; any other geometry type has none."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [[ring(arcs, r) for r in geometry["arcs"]]]
    if kind == "MultiPolygon":
        return [[ring(arcs, r) for r in polygon] for polygon in geometry["arcs"]]
    return []


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker simplification: keeps the first and last points and every point further
    than ``tolerance`` from the line that would replace it."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        farthest, distance = first, -1.0
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                d = math.hypot(px - ax, py - ay)
            else:
                d = abs(dy * (px - ax) - dx * (py - ay)) / length
            if d > distance:
                farthest, distance = i, d
        if distance > tolerance:
            keep[farthest] = True
            stack.extend([(first, farthest), (farthest, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def area(points: Sequence[Point]) -> float:
    """The unsigned area of a closed ring (shoelace formula)."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def centroid(points: Sequence[Point]) -> Point:
    """The centroid of a closed ring (its vertices' mean when its area is zero)."""
    twice_area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        cross = x1 * y2 - x2 * y1
        twice_area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if twice_area == 0:
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    return cx / (3 * twice_area), cy / (3 * twice_area)


def centre(shapes: Iterable[Sequence[Ring]], project: Projection) -> Point:
    """Where a country's marker goes: the centroid of its largest ring, projected and rounded
    to a tenth of a unit."""
    rings = [[project(p) for p in points] for shape in shapes for points in shape if points]
    x, y = centroid(max(rings, key=area))
    return round(x, 1), round(y, 1)


def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def svg_path(
    shapes: Iterable[Sequence[Ring]],
    project: Projection,
    *,
    tolerance: float = 0.5,
    min_area: float = 0.5,
) -> str:
    """The SVG path data of ``shapes`` projected, simplified by ``tolerance`` canvas units,
    leaving out rings smaller than ``min_area`` square units (islets invisible on the map)."""
    parts: list[str] = []
    for shape in shapes:
        for points in shape:
            projected = simplify([project(p) for p in points], tolerance)
            if len(projected) < 4 or area(projected) < min_area:
                continue
            if projected[0] == projected[-1]:
                projected = projected[:-1]
            first, *rest = projected
            parts.append(
                f"M{_number(first[0])} {_number(first[1])}"
                + "".join(f"L{_number(x)} {_number(y)}" for x, y in rest)
                + "Z"
            )
    return "".join(parts)


def country_shapes(
    topology: Mapping[str, Any],
    object_name: str,
    codes: Mapping[str, str],
    project: Projection,
    *,
    tolerance: float = 0.5,
    min_area: float = 0.5,
    markers: Mapping[str, Point] | None = None,
) -> dict[str, Any]:
    """``{"viewBox": ..., "countries": {alpha-3: path}, "centres": {alpha-3: [x, y]}}`` (the
    centre of each country's largest ring, for a marker) for the geometries of
    ``topology["objects"][object_name]`` whose id is a key of ``codes`` (ISO numeric id to
    alpha-3 code). ``markers`` places the centre of some countries by hand, as (longitude,
    latitude), where the largest ring's centroid would mislead (an S-shaped country). A wanted
    id the topology lacks is a :class:`KeyError` naming it."""
    arcs = decode_arcs(topology)
    by_id: dict[str, list[list[Ring]]] = {}
    for geometry in topology["objects"][object_name]["geometries"]:
        identifier = geometry.get("id")
        if identifier in codes:
            by_id.setdefault(str(identifier), []).extend(polygons(geometry, arcs))
    missing = sorted(set(codes) - set(by_id))
    if missing:
        raise KeyError(f"no geometry with id {', '.join(missing)}")
    paths = {
        codes[identifier]: svg_path(
            by_id[identifier], project, tolerance=tolerance, min_area=min_area
        )
        for identifier in sorted(by_id, key=lambda i: codes[i])
    }
    centres = {codes[identifier]: list(centre(by_id[identifier], project)) for identifier in by_id}
    for code, (lon, lat) in (markers or {}).items():
        x, y = project((lon, lat))
        centres[code] = [round(x, 1), round(y, 1)]
    return {"viewBox": project.view_box(), "countries": paths, "centres": centres}
