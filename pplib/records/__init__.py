"""A locality's own files to one reconciled dataset: schemas, loading, validation, normalisation, and the
dataset with its ledger of every input row (used, merged or rejected with a reason).
"""
