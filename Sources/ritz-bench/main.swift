print("ritz-bench")
