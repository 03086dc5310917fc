print("ritz")
