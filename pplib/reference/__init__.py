"""Public, published inputs, never protected: police forces, the Home Office NRM figures and ONS lookups
(``published``), and the ONS boundary files (``boundaries``).
"""
