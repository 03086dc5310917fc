import CKernels
import Foundation

/// The cores this process can keep busy at once: the processors online, narrowed to its
/// affinity mask (`taskset`, a container's cpuset, an MPI rank bound to a core) and to its
/// control group's CPU quota (`docker run --cpus`, systemd's `CPUQuota=`), rounded up. More
/// threads than this only wait for a core, and `Parallel`'s helpers spin while they wait: two
/// threads on one core ran a user's model 1.5× as long as one thread did.
public enum UsableCores {
    /// The count, found once per process (at least 1).
    public static let count: Int = measured.count

    /// What narrowed the count below the processors online ("the affinity mask allows 1 of 2
    /// processors", "the cgroup's CPU quota allows 1.5 processors"); nil when nothing did.
    public static let limit: String? = measured.limit

    private static let measured = measure(
        online: ProcessInfo.processInfo.activeProcessorCount, affinity: Int(ck_affinity_cpu_count()),
        quota: cgroupQuota(selfCgroup: contents("/proc/self/cgroup"), read: contents))

    /// The count from the processors online, the affinity mask's count (0 or less: unknown) and the
    /// quota in processors (nil: none), with what narrowed it.
    static func measure(online: Int, affinity: Int, quota: Double?) -> (count: Int, limit: String?) {
        let online = Swift.max(online, 1)
        var count = online
        var limit: String?
        if affinity > 0 && affinity < count {
            count = affinity
            limit = "the affinity mask allows \(affinity) of \(online) processors"
        }
        if let quota, quota > 0, quota < Double(count) {
            count = Swift.max(1, Int(quota.rounded(.up)))
            limit = "the cgroup's CPU quota allows \(formatQuota(quota)) processors"
        }
        return (count, limit)
    }

    private static func formatQuota(_ q: Double) -> String {
        q == q.rounded() ? String(Int(q)) : String(format: "%.2g", q)
    }

    /// The tightest CPU quota, in processors, of this process's control group and its
    /// ancestors (cgroup v2's `cpu.max`, else v1's `cpu.cfs_quota_us` over `cpu.cfs_period_us`);
    /// nil when none is set.
    ///
    /// - Parameters:
    ///   - selfCgroup: The text of `/proc/self/cgroup`.
    ///   - read: Reads a file's text (nil when it cannot).
    static func cgroupQuota(selfCgroup: String?, read: (String) -> String?) -> Double? {
        let paths = cgroupPaths(selfCgroup ?? "")
        var tightest: Double?
        func keep(_ q: Double?) {
            guard let q else { return }
            tightest = Swift.min(tightest ?? q, q)
        }
        // Inside a container the group's own files sit at the mount's root whatever path
        // /proc/self/cgroup names, so every directory from the named one up to the root is read.
        for directory in ancestors("/sys/fs/cgroup", paths.unified ?? "/") {
            keep(read(directory + "/cpu.max").flatMap(cpuMax))
        }
        if tightest == nil {
            for mount in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"] {
                for directory in ancestors(mount, paths.cpu ?? "/") {
                    if let quota = read(directory + "/cpu.cfs_quota_us"), let period = read(directory + "/cpu.cfs_period_us") {
                        keep(cfsQuota(quota: quota, period: period))
                    }
                }
            }
        }
        return tightest
    }

    /// `root + path` and each of its parents down to `root`.
    static func ancestors(_ root: String, _ path: String) -> [String] {
        let parts = path.split(separator: "/").filter { $0 != "." && $0 != ".." }.map(String.init)
        return (0...parts.count).reversed().map { n in ([root] + parts.prefix(n)).joined(separator: "/") }
    }

    /// The control-group paths in `/proc/self/cgroup`: the unified hierarchy's (`0::PATH`) and
    /// the v1 `cpu` controller's (`N:cpu,cpuacct:PATH`).
    static func cgroupPaths(_ text: String) -> (unified: String?, cpu: String?) {
        var unified: String?, cpu: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty { unified = String(fields[2]) }
            if fields[1].split(separator: ",").contains("cpu") { cpu = String(fields[2]) }
        }
        return (unified, cpu)
    }

    /// cgroup v2's `cpu.max` ("QUOTA PERIOD" in microseconds, or "max PERIOD"): QUOTA/PERIOD
    /// processors, nil for no limit.
    static func cpuMax(_ text: String) -> Double? {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]),
              quota > 0, period > 0 else { return nil }
        return quota / period
    }

    /// cgroup v1's quota and period in microseconds (a quota of −1: no limit).
    static func cfsQuota(quota: String, period: String) -> Double? {
        guard let q = Double(quota.trimmingCharacters(in: .whitespacesAndNewlines)),
              let p = Double(period.trimmingCharacters(in: .whitespacesAndNewlines)), q > 0, p > 0 else { return nil }
        return q / p
    }

    private static func contents(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }
}
