// Original file: proto/compat/calculator_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CalculatorServiceAddRequest as _CalculatorServiceAddRequest, CalculatorServiceAddRequest__Output as _CalculatorServiceAddRequest__Output } from './CalculatorServiceAddRequest';
import type { CalculatorServiceAddResponse as _CalculatorServiceAddResponse, CalculatorServiceAddResponse__Output as _CalculatorServiceAddResponse__Output } from './CalculatorServiceAddResponse';

export interface CalculatorServiceClient extends grpc.Client {
  Add(argument: _CalculatorServiceAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  Add(argument: _CalculatorServiceAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  Add(argument: _CalculatorServiceAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  Add(argument: _CalculatorServiceAddRequest, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _CalculatorServiceAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _CalculatorServiceAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _CalculatorServiceAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _CalculatorServiceAddRequest, callback: grpc.requestCallback<_CalculatorServiceAddResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface CalculatorServiceHandlers extends grpc.UntypedServiceImplementation {
  Add: grpc.handleUnaryCall<_CalculatorServiceAddRequest__Output, _CalculatorServiceAddResponse>;
  
}

export interface CalculatorServiceDefinition extends grpc.ServiceDefinition {
  Add: MethodDefinition<_CalculatorServiceAddRequest, _CalculatorServiceAddResponse, _CalculatorServiceAddRequest__Output, _CalculatorServiceAddResponse__Output>
}
