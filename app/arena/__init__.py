"""The arena: blind comparisons of two models' answers, the votes, and the ratings they give."""
