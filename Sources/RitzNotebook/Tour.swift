import Foundation


/// The built-in tour session that `ritz` opens when given no file.
public enum Tour {
    /// The tour notebook from the bundled resource, or nil when it is missing.
    public static func notebook() -> Notebook? {
        guard let url = Bundle.module.url(forResource: "tour", withExtension: "ipynb"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? Notebook(ipynb: data, path: "tour.ipynb")
    }
}
