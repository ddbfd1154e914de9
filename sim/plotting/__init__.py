"""Figures for reports: one shared style (``style``), a base map (``basemap``) and one module per kind of figure."""
