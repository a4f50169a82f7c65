"""Teaching analyses computed on a model: muscle actions (moment arms), injection sites, needles, safety."""
