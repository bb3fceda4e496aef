"""The leaf package: one definition of what every other package parses the same way.

Imports no other project package (DESIGN.md, "Layout").
"""
