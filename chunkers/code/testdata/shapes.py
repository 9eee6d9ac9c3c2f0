"""Geometric shapes and helpers for computing areas."""

import math
from dataclasses import dataclass
from typing import Iterable

PI2 = math.pi * 2
DEFAULT_SCALE: float = 1.0


def total_area(shapes: Iterable["Shape"]) -> float:
    """Return the sum of the areas of shapes."""
    return sum(s.area() for s in shapes)


class Shape:
    """Base class of all shapes."""

    name = "shape"

    def area(self) -> float:
        raise NotImplementedError

    def perimeter(self) -> float:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.name} with area {self.area():.2f} and perimeter {self.perimeter():.2f}"


@dataclass
class Circle(Shape):
    """A circle given by its radius."""

    radius: float

    def area(self) -> float:
        return math.pi * self.radius ** 2

    def perimeter(self) -> float:
        return PI2 * self.radius

    @staticmethod
    def unit() -> "Circle":
        return Circle(1.0)


class Rectangle(Shape):
    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height

    def area(self) -> float:
        return self.width * self.height

    def perimeter(self) -> float:
        return 2 * (self.width + self.height)

    def scale(self, factor: float = DEFAULT_SCALE) -> "Rectangle":
        """Return a copy scaled by factor in both dimensions."""
        if factor <= 0:
            raise ValueError("factor must be positive")
        return Rectangle(self.width * factor, self.height * factor)


def largest(shapes):
    best = None
    for s in shapes:
        if best is None or s.area() > best.area():
            best = s
    return best


if __name__ == "__main__":
    print(total_area([Circle(1), Rectangle(2, 3)]))
