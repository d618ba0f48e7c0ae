// ILGPU.Runtime also defines a Device; inside the library "Device" always means ours.
global using Device = IlgpuSnn.Runtime.Device;
