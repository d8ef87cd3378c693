"""Drawing only: the house chart style (``charts``), the resilience heatmap, and maps.
"""
