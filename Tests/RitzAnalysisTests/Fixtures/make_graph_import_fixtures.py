#!/usr/bin/env python3
"""Makes the edge-list and adjacency fixtures of graph import, with NetworkX as the reference.

Run from this folder:  python3 make_graph_import_fixtures.py
Writes into graphs/:
  edges_snap.txt      a SNAP-style edge list: '#' comment lines, tab separated, nodes numbered
                      from 1, a pair repeated in reverse order and a trailing '%' comment;
  edges_weighted.csv  'source,target,weight' header, a '%' comment line, 0-based, weighted;
  edge_index.npy      the same pairs as edges_snap.txt, 0-based, as PyG's int64 2×m edge_index;
  graph_import.json   for each file (and a dense symmetric adjacency matrix): the node count and
                      NetworkX's Laplacian D − A (networkx.laplacian_matrix), every double exact.
NetworkX reads the files itself (read_edgelist with comments='#', read_weighted_edgelist), so the
references do not depend on ritz's parsing. Made with NetworkX 3.x and NumPy 2.x.
"""
import json
import os

import networkx as nx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "graphs")
os.makedirs(OUT, exist_ok=True)

pairs = [(1, 2), (2, 3), (3, 4), (4, 1), (2, 4), (5, 6), (6, 7), (7, 5), (3, 5), (4, 2), (8, 9)]
with open(os.path.join(OUT, "edges_snap.txt"), "w") as f:
    f.write("# Directed graph (each unordered pair once): edges_snap.txt\n")
    f.write("# Nodes: 9 Edges: 11\n# FromNodeId\tToNodeId\n")
    for a, b in pairs:
        f.write(f"{a}\t{b}\n")
    f.write("8\t9\t% the last edge again, with a comment\n")

weighted = [(0, 1, 0.5), (1, 2, 2.0), (2, 0, 1.25), (2, 3, 4.0), (3, 4, 0.125), (0, 4, 3.0)]
with open(os.path.join(OUT, "edges_weighted.csv"), "w") as f:
    f.write("% a weighted triangle with a tail, 0-based\nsource,target,weight\n")
    for a, b, w in weighted:
        f.write(f"{a},{b},{w}\n")

index = np.array([[a - 1 for a, _ in pairs], [b - 1 for _, b in pairs]], dtype=np.int64)
np.save(os.path.join(OUT, "edge_index.npy"), index)


def laplacian(g, n):
    return nx.laplacian_matrix(g, nodelist=range(n)).toarray().astype(float).tolist()


snap = nx.read_edgelist(os.path.join(OUT, "edges_snap.txt"), comments="#", nodetype=int, data=False)
snap = nx.relabel_nodes(snap, {v: v - 1 for v in snap.nodes})
csv_graph = nx.Graph()
with open(os.path.join(OUT, "edges_weighted.csv")) as f:
    rows = [line.strip().split(",") for line in f if line[0].isdigit()]
csv_graph.add_weighted_edges_from((int(a), int(b), float(w)) for a, b, w in rows)
pyg = nx.Graph()
pyg.add_edges_from(index.T.tolist())

rng = np.random.default_rng(19)
A = np.triu(rng.integers(0, 3, size=(7, 7)).astype(float) * rng.random((7, 7)))
A = A + np.triu(A, 1).T
A[6, :] = A[:, 6] = 0          # an isolated node
A[2, 2] = 0.75                 # a self-loop
dense = nx.from_numpy_array(A)

ref = {
    "snap": {"n": 9, "edges": snap.number_of_edges(), "laplacian": laplacian(snap, 9)},
    "weighted": {"n": 5, "edges": csv_graph.number_of_edges(), "laplacian": laplacian(csv_graph, 5)},
    "edge_index": {"n": 9, "edges": pyg.number_of_edges(), "laplacian": laplacian(pyg, 9)},
    "adjacency": {"n": 7, "A": A.tolist(), "edges": dense.number_of_edges(), "laplacian": laplacian(dense, 7)},
}
with open(os.path.join(OUT, "graph_import.json"), "w") as f:
    json.dump(ref, f, indent=1)
    f.write("\n")
