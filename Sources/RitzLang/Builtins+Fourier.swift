import RitzTensor

extension Builtins {
    static var fourier: [BuiltinEntry] { [] }
}
