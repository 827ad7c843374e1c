"""The arena in the window: blind side-by-side answers, votes, and the leaderboard."""
