// Original file: proto/summa/v1/calculator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddRequest as _summa_v1_AddRequest, AddRequest__Output as _summa_v1_AddRequest__Output } from '../../summa/v1/AddRequest';
import type { AddResponse as _summa_v1_AddResponse, AddResponse__Output as _summa_v1_AddResponse__Output } from '../../summa/v1/AddResponse';

export interface CalculatorServiceClient extends grpc.Client {
  Add(argument: _summa_v1_AddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  Add(argument: _summa_v1_AddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  Add(argument: _summa_v1_AddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  Add(argument: _summa_v1_AddRequest, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _summa_v1_AddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _summa_v1_AddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _summa_v1_AddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  add(argument: _summa_v1_AddRequest, callback: grpc.requestCallback<_summa_v1_AddResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface CalculatorServiceHandlers extends grpc.UntypedServiceImplementation {
  Add: grpc.handleUnaryCall<_summa_v1_AddRequest__Output, _summa_v1_AddResponse>;
  
}

export interface CalculatorServiceDefinition extends grpc.ServiceDefinition {
  Add: MethodDefinition<_summa_v1_AddRequest, _summa_v1_AddResponse, _summa_v1_AddRequest__Output, _summa_v1_AddResponse__Output>
}
